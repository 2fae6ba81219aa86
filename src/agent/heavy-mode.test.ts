import { afterEach, describe, expect, it } from "vitest";
import {
  type RecordedRequest,
  type ScriptedOpenAIServer,
  startScriptedOpenAIServer,
} from "../../test/fixtures/scripted-openai-server.js";
import { TrajectorySchema } from "../core/trajectory.js";
import { OpenAICompatibleChatModel } from "../llm/openai-compatible.js";
import { AGGREGATOR_SYSTEM_PROMPT, runHeavy, tallyVotes } from "./heavy-mode.js";

let server: ScriptedOpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const QUESTION = "Which city is the capital of France?";
/** Children answer in request order: two say Paris (written two ways), one says Lyon. */
function children(aggregator: (request: RecordedRequest) => { content?: string; status?: number }) {
  const answers = ["<answer>Paris</answer>", "<answer>Lyon</answer>", "<answer>paris.</answer>"];
  let next = 0;
  return (request: RecordedRequest) => {
    const messages = request.body.messages as { role: string; content: string }[];
    if (messages[0]?.content === AGGREGATOR_SYSTEM_PROMPT) return aggregator(request);
    return {
      content: answers[next++ % answers.length] as string,
      usage: { prompt_tokens: 100, completion_tokens: 10 },
    };
  };
}

function model(baseUrl: string) {
  return new OpenAICompatibleChatModel({ baseUrl, model: "scripted", maxRetries: 1 });
}

describe("heavy mode", () => {
  it("vote: n children, one parent whose answer is the majority and whose usage covers every call", async () => {
    server = await startScriptedOpenAIServer({ fallback: children(() => ({ status: 500 })) });
    const parent = await runHeavy(
      { question: QUESTION, questionId: "q1", protocol: "react", model: model(server.baseUrl), tools: [], sample: 1 },
      { parallel: 3, aggregate: "vote" },
    );
    expect(server.requests).toHaveLength(3);
    expect(parent.children).toHaveLength(3);
    expect(parent.children?.map((child) => child.id)).toEqual([0, 1, 2].map((i) => `${parent.id}#child-${i}`));
    expect(parent.children?.map((child) => child.sample)).toEqual([3, 4, 5]);
    expect(parent.sample).toBe(1);
    expect(["paris", "paris."]).toContain(parent.prediction?.toLowerCase());
    expect(parent.termination).toBe("answer");
    const heavy = parent.metadata.heavy as { votes: { count: number }[] };
    expect(heavy.votes.map((vote) => vote.count)).toEqual([2, 1]);
    expect(parent.usage).toMatchObject({ llmCalls: 3, promptTokens: 300, completionTokens: 30 });
    expect(parent.messages).toEqual([]);
    // One record holds the children whole, and reads back through the schema.
    const stored = TrajectorySchema.parse(JSON.parse(JSON.stringify(parent)));
    expect(stored.children?.[0]?.turns).toHaveLength(1);
  });

  it("model: the aggregator reads every report and decides, even against the majority", async () => {
    server = await startScriptedOpenAIServer({
      fallback: children(() => ({ content: "<think>Report 2 cites the source.</think><answer>Lyon</answer>" })),
    });
    const parent = await runHeavy(
      { question: QUESTION, protocol: "react", model: model(server.baseUrl), tools: [] },
      { parallel: 3, aggregate: "model" },
    );
    expect(server.requests).toHaveLength(4);
    const prompt = (server.requests[3]!.body.messages as { content: string }[])[1]?.content ?? "";
    expect(prompt.startsWith(`Question: ${QUESTION}\n\n## Report 1\nFinal answer: `)).toBe(true);
    expect(prompt).toContain("## Report 3");
    expect(prompt).toContain("Final answer: Lyon (ended: answer, 1 turns)");
    expect(parent.prediction).toBe("Lyon");
    expect(parent.messages.map((message) => message.role)).toEqual(["system", "user", "assistant"]);
    expect(parent.usage.llmCalls).toBe(4);
  });

  it("model: a failing aggregator falls back to the vote and says so", async () => {
    server = await startScriptedOpenAIServer({ fallback: children(() => ({ status: 400 })) });
    const parent = await runHeavy(
      { question: QUESTION, protocol: "react", model: model(server.baseUrl), tools: [] },
      { parallel: 3, aggregate: "model" },
    );
    expect(["paris", "paris."]).toContain(parent.prediction?.toLowerCase());
    expect((parent.metadata.heavy as { aggregatorFallback: string }).aggregatorFallback).toMatch(
      /^the aggregator failed \(.*\): the vote decided$/,
    );
  });

  it("a tie goes to the earliest child; no answers make no vote", () => {
    const child = (prediction: string | null) =>
      TrajectorySchema.parse({
        version: 1,
        id: "x",
        question: "q",
        protocol: "react",
        messages: [],
        turns: [],
        usage: {},
        timings: { startedAt: "2026-12-05T00:00:00Z" },
        termination: prediction === null ? "answer not found" : "answer",
        prediction,
      });
    expect(tallyVotes([child("B"), child("A"), child("A"), child("B")])[0]).toEqual({
      answer: "B",
      count: 2,
      children: [0, 3],
    });
    expect(tallyVotes([child(null), child(" ")])).toEqual([]);
  });
});
