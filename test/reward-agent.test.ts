/**
 * Rewards on real agent trajectories: runAgent (search-r1 and react protocols) against the scripted
 * OpenAI-compatible fixture (a test fixture, not a model) and a one-passage corpus, then the published
 * reward shapes computed from the Trajectory records.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { runAgent } from "../src/agent/run-agent.js";
import { buildCorpus } from "../src/corpus/build.js";
import { openCorpus } from "../src/corpus/sqlite-corpus.js";
import { createJudge } from "../src/eval/judges/judge.js";
import { OpenAICompatibleChatModel } from "../src/llm/openai-compatible.js";
import { checkTrajectoryFormat, createReward } from "../src/reward/index.js";
import { CorpusSearchProvider } from "../src/tools/search/corpus-provider.js";
import { SearchTool } from "../src/tools/search/search-tool.js";
import { type ScriptedOpenAIServer, startScriptedOpenAIServer } from "./fixtures/scripted-openai-server.js";

const home = mkdtempSync(join(tmpdir(), "drkit-reward-agent-"));
let server: ScriptedOpenAIServer | undefined;

beforeAll(async () => {
  writeFileSync(
    join(home, "p.jsonl"),
    JSON.stringify({ id: "p1", title: "Paris", text: "Paris is the capital of France." }),
  );
  await buildCorpus({ name: "one", from: [join(home, "p.jsonl")], home, quiet: true });
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function tools() {
  return [new SearchTool({ provider: new CorpusSearchProvider(openCorpus("one", { home })) })];
}

describe("rewards on runAgent trajectories", () => {
  it("search-r1: valid format, retrieval hit, published reward values", async () => {
    server = await startScriptedOpenAIServer({
      script: [
        { content: "<think>I need to search.</think>\n<search>capital of France</search>" },
        { content: "<think>Found it.</think>\n<answer>Lyon</answer>" },
      ],
    });
    const trajectory = await runAgent({
      question: "What is the capital of France?",
      goldAnswers: ["Paris"],
      protocol: "search-r1",
      model: new OpenAICompatibleChatModel({ baseUrl: server.baseUrl, model: "m", maxRetries: 0 }),
      tools: tools(),
    });
    expect(trajectory.prediction).toBe("Lyon");
    expect(checkTrajectoryFormat(trajectory).valid).toBe(true);
    // wrong answer, valid format, gold in the retrieved passage
    expect((await createReward("deepresearch-r1").score(trajectory)).score).toBeCloseTo(0.3, 12);
    expect((await createReward("search-r1-format", { retrievalScore: 0.1 }).score(trajectory)).score).toBeCloseTo(
      0.3,
      12,
    );
    expect((await createReward("search-r1-em").score(trajectory)).score).toBe(0);
  });

  it("react: WebDancer reward = 0.1·format + 0.9·judge, judge prompt sent to the judge endpoint", async () => {
    server = await startScriptedOpenAIServer({
      script: [
        {
          content:
            '<think>Search.</think>\n<tool_call>{"name": "search", "arguments": {"query": ["capital of France"]}}</tool_call>',
        },
        { content: "<think>Found it.</think>\n<answer>Paris, France</answer>" },
        { content: "Correct" },
      ],
    });
    const model = new OpenAICompatibleChatModel({ baseUrl: server.baseUrl, model: "agent", maxRetries: 0 });
    const trajectory = await runAgent({
      question: "What is the capital of France?",
      goldAnswers: ["Paris"],
      protocol: "react",
      model,
      tools: tools(),
    });
    expect(checkTrajectoryFormat(trajectory)).toEqual({ valid: true, reason: "" });
    const judge = createJudge(
      "equivalence",
      new OpenAICompatibleChatModel({ baseUrl: server.baseUrl, model: "judge", maxRetries: 0 }),
    );
    const reward = await createReward("webdancer", { judge }).score(trajectory);
    expect(reward.score).toBeCloseTo(1, 12);
    expect(reward.components).toMatchObject({ format: 1, judge: 1, em: 0 });
    const judgeRequest = server.requests[2]?.body;
    expect(judgeRequest.model).toBe("judge");
    expect(judgeRequest.messages[0].content).toContain("Predicted answer: Paris, France");
  });
});
