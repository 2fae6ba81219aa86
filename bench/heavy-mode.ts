/**
 * Heavy mode's bookkeeping against n plain episodes: the same 8 episodes per question (5 searches over the bundled
 * HotpotQA corpus, then an answer, replayed by the scripted test server — not a model) run as 8 concurrent `runAgent`
 * calls (the anchor) and as `runHeavy` with `vote` and with `model` (one more scripted call). Printed: wall time per
 * question over 20 questions (median of 5 rounds, alternating order), the ratio to the anchor, the time of everything
 * heavy mode adds (vote tally, usage sums, the parent record) measured alone, and the stored record's size.
 *
 *   npx tsx bench/heavy-mode.ts
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AGGREGATOR_SYSTEM_PROMPT, aggregatorMessages, runHeavy, tallyVotes } from "../src/agent/heavy-mode.js";
import { runAgent } from "../src/agent/run-agent.js";
import type { RunAgentOptions } from "../src/agent/types.js";
import { buildCorpus } from "../src/corpus/build.js";
import { openCorpus } from "../src/corpus/sqlite-corpus.js";
import { OpenAICompatibleChatModel } from "../src/llm/openai-compatible.js";
import { CorpusSearchProvider } from "../src/tools/search/corpus-provider.js";
import { SearchTool } from "../src/tools/search/search-tool.js";
import { type RecordedRequest, startScriptedOpenAIServer } from "../test/fixtures/scripted-openai-server.js";

const PARALLEL = 8;
const QUESTIONS = 20;
const SEARCHES = 5;
const titles = readFileSync("data/hotpotqa/corpus.jsonl", "utf8")
  .split("\n")
  .filter((line) => line.trim())
  .slice(0, 200)
  .map((line) => (JSON.parse(line) as { title: string }).title.replaceAll('"', ""));

/** Each request is answered from what it holds: the aggregator answers; an episode searches 5 times, then answers. */
function reply(request: RecordedRequest) {
  const messages = request.body.messages as { role: string; content: string }[];
  if (messages[0]?.content === AGGREGATOR_SYSTEM_PROMPT) return { content: "<answer>done</answer>" };
  const done = messages.filter((message) => message.role === "assistant").length;
  if (done >= SEARCHES) return { content: "<answer>done</answer>" };
  const title = titles[(messages[1]?.content.length ?? 0) + done * 7] ?? "Ed Wood";
  return { content: `<tool_call>{"name": "search", "arguments": {"query": ["${title}"]}}</tool_call>` };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

const home = mkdtempSync(join(tmpdir(), "drkit-bench-heavy-"));
try {
  await buildCorpus({ name: "hotpotqa", from: ["data/hotpotqa/corpus.jsonl"], home, quiet: true });
  const corpus = openCorpus("hotpotqa", { home });
  const server = await startScriptedOpenAIServer({ fallback: reply });
  const model = new OpenAICompatibleChatModel({ baseUrl: server.baseUrl, model: "fixture", concurrency: 64 });
  const tools = [new SearchTool({ provider: new CorpusSearchProvider(corpus), topk: 5 })];
  const options = (index: number): RunAgentOptions => ({
    question: `Question ${index}: what does the corpus say about ${titles[index]}?`,
    questionId: `q${index}`,
    protocol: "react",
    model,
    tools,
    limits: { maxTurns: SEARCHES + 2 },
  });
  const modes = {
    "8 plain episodes (anchor)": (i: number) =>
      Promise.all(
        Array.from({ length: PARALLEL }, (_, sample) => runAgent({ ...options(i), sample, id: `q${i}#${sample}` })),
      ),
    "heavy, vote": (i: number) => runHeavy(options(i), { parallel: PARALLEL, aggregate: "vote" }),
    "heavy, model": (i: number) => runHeavy(options(i), { parallel: PARALLEL, aggregate: "model" }),
  };
  const times = new Map<string, number[]>(Object.keys(modes).map((name) => [name, []]));
  const entries = Object.entries(modes);
  for (let round = 0; round < 5; round++) {
    for (const [name, run] of round % 2 === 0 ? entries : [...entries].reverse()) {
      const started = performance.now();
      for (let i = 0; i < QUESTIONS; i++) await run(i);
      times.get(name)?.push((performance.now() - started) / QUESTIONS);
    }
  }
  // What heavy mode adds on its own: the vote, the aggregator prompt, the usage sums and the parent record.
  const sample = await runHeavy(options(0), { parallel: PARALLEL, aggregate: "vote" });
  const children = sample.children ?? [];
  const bookkeepingStarted = performance.now();
  for (let i = 0; i < 1000; i++) {
    tallyVotes(children);
    aggregatorMessages(sample.question, children);
  }
  const bookkeepingMs = (performance.now() - bookkeepingStarted) / 1000;
  const anchor = median(times.get("8 plain episodes (anchor)") ?? []);
  const lines = [...times].map(
    ([name, values]) => `| ${name} | ${median(values).toFixed(1)} | ${(median(values) / anchor).toFixed(3)} |`,
  );
  const childBytes = children.reduce((sum, child) => sum + JSON.stringify(child).length, 0);
  process.stdout.write(
    `| ${PARALLEL} episodes × ${SEARCHES} searches | ms per question | × anchor |\n|---|---:|---:|\n${lines.join("\n")}\n\n` +
      `vote tally + aggregator prompt alone: ${bookkeepingMs.toFixed(3)} ms per question (${((bookkeepingMs / anchor) * 100).toFixed(2)} % of the anchor)\n` +
      `stored record: ${JSON.stringify(sample).length.toLocaleString("en")} bytes for ${childBytes.toLocaleString("en")} bytes of episodes (${((JSON.stringify(sample).length / childBytes - 1) * 100).toFixed(2)} % more)\n`,
  );
  await server.close();
  await model.close();
  corpus.close();
} finally {
  rmSync(home, { recursive: true, force: true });
}
