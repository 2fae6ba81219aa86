import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ScriptedOpenAIServer, startScriptedOpenAIServer } from "../../test/fixtures/scripted-openai-server.js";
import { runAgent } from "../agent/run-agent.js";
import { UsageTracker } from "../core/budget.js";
import { readJsonlRecords } from "../core/jsonl-store.js";
import { buildCorpus } from "../corpus/build.js";
import { openCorpus, type SqliteCorpus } from "../corpus/sqlite-corpus.js";
import { OpenAICompatibleChatModel } from "../llm/openai-compatible.js";
import { AgentReferenceSolver, predictionMatches } from "./agent-solver.js";
import type { Dr9kRecord } from "./export.js";
import { synthesizeMultihop } from "./multihop.js";
import { RuleObfuscator } from "./obfuscate.js";
import type { SynthRecord } from "./types.js";

const home = mkdtempSync(join(tmpdir(), "drkit-synth-agent-"));
let corpus: SqliteCorpus;
let server: ScriptedOpenAIServer;

beforeAll(async () => {
  await buildCorpus({ name: "hotpotqa", from: ["data/hotpotqa/corpus.jsonl"], home, quiet: true });
  corpus = openCorpus("hotpotqa", { home });
});
afterAll(async () => {
  corpus?.close();
  await server?.close();
});

describe("agent calibration", () => {
  it("matches predictions with EM, and cover-EM except for yes/no", () => {
    expect(predictionMatches("Chief of Protocol", ["Chief of Protocol"])).toBe(true);
    expect(predictionMatches("She was Chief of Protocol of the US", ["Chief of Protocol"])).toBe(true);
    expect(predictionMatches("no, yes", ["yes"])).toBe(false);
    expect(predictionMatches(null, ["yes"])).toBe(false);
  });

  it("runs n ReAct rollouts through the corpus search and labels the item by pass rate", async () => {
    server = await startScriptedOpenAIServer({
      script: [
        // Rollout 1: search, then the right answer.
        {
          content:
            '<think>Find the film first.</think>\n<tool_call>\n{"name": "search", "arguments": {"query": ["1945 American comedy film Corliss Archer"]}}\n</tool_call>',
        },
        { content: "<think>Shirley Temple became Chief of Protocol.</think>\n<answer>Chief of Protocol</answer>" },
        // Rollout 2: a wrong answer straight away.
        { content: "<think>Guess.</think>\n<answer>Ambassador to Ghana</answer>" },
      ],
    });
    const model = new OpenAICompatibleChatModel({ baseUrl: server.baseUrl, model: "scripted-test", maxRetries: 0 });
    const tracker = new UsageTracker();
    const solver = new AgentReferenceSolver({ model, corpus, runAgent, rollouts: 2, tracker, seed: 3 });
    const from = join(home, "one.jsonl");
    writeFileSync(from, `${readFileSync("data/hotpotqa/questions.jsonl", "utf8").split("\n")[1]}\n`);
    const out = join(home, "agent.jsonl");
    const { report } = await synthesizeMultihop({
      from,
      corpus,
      out,
      obfuscator: new RuleObfuscator(),
      levels: [2],
      solver,
      tracker,
      quiet: true,
    });
    const [record] = readJsonlRecords<SynthRecord>(join(`${out}.work`, "checked.jsonl"));
    expect(record?.calibration).toEqual({
      method: "agent:react:scripted-test",
      rollouts: 2,
      pass_rate: 0.5,
      label: "medium",
    });
    expect(record?.checks.solvability.passed).toBe(true);
    expect(record?.trajectory.source).toBe("agent");
    expect(record?.kept).toBe(true);
    // The agent saw the obfuscated question and got real corpus results back.
    const firstRequest = server.requests[0]?.body.messages as { role: string; content: string }[];
    expect(firstRequest.some((message) => message.content.includes(record!.question))).toBe(true);
    const secondRequest = server.requests[1]?.body.messages as { role: string; content: string }[];
    expect(secondRequest.at(-1)?.content).toMatch(/<tool_response>[\s\S]*Kiss and Tell/);
    expect(server.requests[2]?.body.seed).toBe(4);
    expect(tracker.usage.llmCalls).toBe(3);
    expect(report.levels[0]?.kept).toBe(1);
    const [dr9k] = readJsonlRecords<Dr9kRecord>(out.replace(/\.jsonl$/, ".dr9k.jsonl"));
    expect(dr9k?.["search trajectory"].some((message) => message.content.includes("<tool_response>"))).toBe(true);
  });
});
