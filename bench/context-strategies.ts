/**
 * Context size per model call over a 100-tool-call scripted episode: everything kept (the anchor) against the
 * keep-last-k strategy (MiroThinker's rule) at k = 5 and 20. The model is the scripted test server (it replays 100
 * search calls over the bundled HotpotQA corpus, then answers; it is not a model); the tools are real. Printed:
 * characters of the messages sent at calls 1, 10, 25, 50, 100, the sum over the episode, and the ratio to the
 * anchor; fixture tokens (the scripted server's word-level tokenizer) of the last call.
 *
 *   npx tsx bench/context-strategies.ts
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ContextStrategy } from "../src/agent/context-strategy.js";
import { runAgent } from "../src/agent/run-agent.js";
import { buildCorpus } from "../src/corpus/build.js";
import { openCorpus } from "../src/corpus/sqlite-corpus.js";
import { OpenAICompatibleChatModel } from "../src/llm/openai-compatible.js";
import { CorpusSearchProvider } from "../src/tools/search/corpus-provider.js";
import { SearchTool } from "../src/tools/search/search-tool.js";
import { fixtureTokenize, startScriptedOpenAIServer } from "../test/fixtures/scripted-openai-server.js";

const CALLS = 100;
const titles = readFileSync("data/hotpotqa/corpus.jsonl", "utf8")
  .split("\n")
  .filter((line) => line.trim())
  .slice(0, CALLS)
  .map((line) => (JSON.parse(line) as { title: string }).title.replaceAll('"', ""));

const home = mkdtempSync(join(tmpdir(), "drkit-bench-context-"));
try {
  await buildCorpus({ name: "hotpotqa", from: ["data/hotpotqa/corpus.jsonl"], home, quiet: true });
  const corpus = openCorpus("hotpotqa", { home });
  const strategies: [string, ContextStrategy | undefined][] = [
    ["keep everything (anchor)", undefined],
    ["keep-last-k, k = 20", { strategy: "keep-last-k", k: 20 }],
    ["keep-last-k, k = 5", { strategy: "keep-last-k", k: 5 }],
  ];
  const rows: string[] = [];
  let anchorSum = 0;
  for (const [label, context] of strategies) {
    const script = [
      ...titles.map((title) => ({
        content: `<tool_call>{"name": "search", "arguments": {"query": ["${title}"]}}</tool_call>`,
      })),
      { content: "<answer>done</answer>" },
    ];
    const server = await startScriptedOpenAIServer({ script });
    const trajectory = await runAgent({
      question: "Collect what the corpus says about each of these pages.",
      protocol: "react",
      model: new OpenAICompatibleChatModel({ baseUrl: server.baseUrl, model: "fixture" }),
      tools: [new SearchTool({ provider: new CorpusSearchProvider(corpus), topk: 5 })],
      limits: { maxTurns: CALLS + 1 },
      ...(context ? { context } : {}),
    });
    const sizes = server.requests.map(
      (request) => JSON.stringify((request.body as { messages: unknown[] }).messages).length,
    );
    const lastBody = server.requests.at(-1)?.body as { messages: { content: string }[] } | undefined;
    const lastMessages = lastBody?.messages ?? [];
    const lastTokens = lastMessages.reduce((sum, message) => sum + fixtureTokenize(message.content).length, 0);
    const sum = sizes.reduce((total, size) => total + size, 0);
    if (!context) anchorSum = sum;
    const at = (call: number) => (sizes[call - 1] ?? 0).toLocaleString("en");
    rows.push(
      `| ${label} | ${trajectory.turns.length} | ${at(1)} | ${at(10)} | ${at(25)} | ${at(50)} | ${at(100)} | ${sum.toLocaleString("en")} | ${(sum / anchorSum).toFixed(3)} | ${lastTokens.toLocaleString("en")} |`,
    );
    await server.close();
  }
  corpus.close();
  process.stdout.write(
    "| strategy | model calls | chars sent at call 1 | 10 | 25 | 50 | 100 | sum over the episode | × anchor | fixture tokens at call 101 |\n" +
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n" +
      `${rows.join("\n")}\n`,
  );
} finally {
  rmSync(home, { recursive: true, force: true });
}
