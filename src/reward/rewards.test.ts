import { describe, expect, it } from "vitest";
import type { Trajectory, Verdict } from "../core/trajectory.js";
import { answerTagCount, extractAnswer } from "./extract.js";
import { checkReactFormat, checkSearchR1Format, isValidToolCallJson } from "./format.js";
import { computeScore, createRemoteRewardHandler, parseGroundTruth, rewardNameForDataSource } from "./interop.js";
import { type AnswerJudge, createReward, rewardInputFromTrajectory } from "./rewards.js";

const VALID =
  "<think>need info</think><search>capital of France</search><information>Doc 1: Paris is the capital of France.</information><think>got it</think><answer>Paris</answer>";

describe("answer extraction per recipe", () => {
  const two = "Example: <answer>Beijing</answer> ... <answer> Paris </answer>";
  it("search-r1 skips a single match (the prompt's example) and takes the last of several", () => {
    expect(extractAnswer("<answer>Beijing</answer>", "search-r1")).toBeNull();
    expect(extractAnswer(two, "search-r1")).toBe("Paris");
  });
  it("verl takes the last of ≥ 1 matches, DOTALL", () => {
    expect(extractAnswer("<answer>a\nb</answer>", "verl")).toBe("a\nb");
    expect(extractAnswer(two, "verl")).toBe("Paris");
    expect(extractAnswer("no tags", "verl")).toBeNull();
  });
  it("tongyi takes the first answer", () => {
    expect(extractAnswer(two, "tongyi")).toBe("Beijing");
    expect(extractAnswer("<answer>open only", "tongyi")).toBeNull();
  });
  it("deepresearch-r1 needs both literal tags", () => {
    expect(extractAnswer("<answer>x</answer>", "deepresearch-r1")).toBe("x");
    expect(extractAnswer("<answer>x", "deepresearch-r1")).toBeNull();
  });
  it("counts answer tags", () => {
    expect(answerTagCount(two)).toBe(4);
  });
});

describe("format checks", () => {
  it("accepts the Search-R1 grammar think → (search → information → think)* → answer", () => {
    expect(checkSearchR1Format(VALID).valid).toBe(true);
    expect(checkSearchR1Format("<think>x</think>\n<answer>y</answer>").valid).toBe(true);
    expect(checkSearchR1Format(`<|im_start|>assistant\n${VALID}`, { requireAssistantMarker: true }).valid).toBe(true);
  });
  it("rejects bad sequences with a reason", () => {
    expect(checkSearchR1Format("<answer>y</answer>").reason).toMatch(/unexpected tag <answer>/);
    expect(checkSearchR1Format("<think>x</think> stray <answer>y</answer>").reason).toMatch(/outside tags/);
    expect(checkSearchR1Format("<think>x</think><answer>y").reason).toMatch(/unbalanced <answer>/);
    expect(checkSearchR1Format("<think>x</think><search>q</search>").valid).toBe(false);
    expect(checkSearchR1Format(VALID, { requireAssistantMarker: true }).reason).toMatch(/marker/);
  });
  it("checks ReAct turns: one valid JSON tool call per turn, answer last", () => {
    const call = '<think>t</think><tool_call>{"name": "search", "arguments": {"query": ["x"]}}</tool_call>';
    expect(checkReactFormat([call, "<think>t</think><answer>y</answer>"]).valid).toBe(true);
    expect(
      checkReactFormat(["<tool_call>{name: 'search', arguments: {}}</tool_call>", "<answer>y</answer>"]).valid,
    ).toBe(true); // JSON5, as Tongyi parses it
    expect(checkReactFormat(["<tool_call>{not json</tool_call>", "<answer>y</answer>"]).reason).toMatch(/JSON/);
    expect(checkReactFormat([call]).reason).toMatch(/no <answer>/);
    expect(isValidToolCallJson('{"name": "x"}')).toBe(false);
  });
});

describe("published reward tables", () => {
  const golds = ["Paris"];
  it("Search-R1 EM: 1 correct, 0 wrong, 0 without answer", async () => {
    const reward = createReward("search-r1-em");
    expect((await reward.score({ solution: VALID, golds })).score).toBe(1);
    expect((await reward.score({ solution: "<answer>Lyon</answer>", golds })).score).toBe(0);
    expect((await reward.score({ solution: "no answer", golds })).score).toBe(0);
    // The Search-R1 fork scores prompt + response: one match is the prompt's example.
    expect((await reward.score({ solution: "<answer>Paris</answer>", golds, includesPrompt: true })).score).toBe(0);
    // verl: correct answer among > 10 answer tags is divided by 4.
    const spam = `${"<answer>x</answer>".repeat(5)}<answer>Paris</answer>`;
    expect((await reward.score({ solution: spam, golds })).score).toBe(0.25);
  });
  it("Search-R1 v0.3 format table (λf 0.2, final 0.1)", async () => {
    const reward = createReward("search-r1-format");
    const score = async (solution: string) => (await reward.score({ solution, golds })).score;
    expect(await score(VALID)).toBe(1); // correct, valid
    expect(await score("<answer>Paris</answer>")).toBeCloseTo(0.8, 12); // correct, invalid
    expect(await score(VALID.replace("<answer>Paris", "<answer>Lyon"))).toBe(0.2); // wrong, valid
    expect(await score("<answer>Lyon</answer>")).toBe(0.1); // wrong, invalid
    expect(await score("<think>x</think> nothing")).toBe(0); // none, invalid
    const withRetrieval = createReward("search-r1-format", { retrievalScore: 0.1 });
    expect(
      (await withRetrieval.score({ solution: VALID.replace("<answer>Paris", "<answer>Lyon"), golds })).score,
    ).toBeCloseTo(0.3, 12);
  });
  it("DeepResearch-R1: 0 / 1.2 / 0.3 / 0.2", async () => {
    const reward = createReward("deepresearch-r1");
    const score = async (solution: string) => (await reward.score({ solution, golds })).score;
    expect(await score("<think>x</think> Paris")).toBe(0);
    expect(await score(VALID)).toBeCloseTo(1.2, 12);
    expect(await score(VALID.replace("<answer>Paris", "<answer>Lyon"))).toBeCloseTo(0.3, 12);
    expect(await score("<answer>Lyon</answer>")).toBeCloseTo(0.2, 12);
  });
  it("WebDancer: 0.1 format + 0.9 judge; a judge error throws instead of scoring", async () => {
    const asked: string[] = [];
    const judge = (verdict: Partial<Verdict>): AnswerJudge => ({
      name: "fake",
      async judge(item) {
        asked.push(item.prediction);
        return { judge: "fake", status: "ok", correct: true, ...verdict };
      },
    });
    const text =
      '<think>a</think><tool_call>{"name":"search","arguments":{"query":["q"]}}</tool_call><tool_response>\nr\n</tool_response><think>b</think><answer>Paris</answer>';
    const good = createReward("webdancer", { judge: judge({ correct: true }) });
    expect((await good.score({ solution: text, golds, question: "q?" })).score).toBeCloseTo(1, 12);
    expect(asked).toEqual(["Paris"]);
    const wrong = createReward("webdancer", { judge: judge({ correct: false }) });
    expect((await wrong.score({ solution: text, golds })).score).toBeCloseTo(0.1, 12);
    const badFormat = text.replace('{"name"', "{oops");
    expect((await good.score({ solution: badFormat, golds })).score).toBeCloseTo(0.9, 12);
    const broken = createReward("webdancer", { judge: judge({ status: "error", correct: null, error: "timeout" }) });
    await expect(broken.score({ solution: text, golds })).rejects.toThrow(/judge fake failed: timeout/);
    expect(() => createReward("webdancer")).not.toThrow();
    await expect(createReward("webdancer").score({ solution: text, golds })).rejects.toThrow(/needs a judge/);
  });
  it("rejects unknown names with the list", () => {
    expect(() => createReward("nope")).toThrow(/deepresearch-r1/);
  });
  it("scores a Trajectory by its prediction and tool results", async () => {
    const trajectory: Trajectory = {
      version: 1,
      id: "t1",
      question: "Capital of France?",
      goldAnswers: ["Paris"],
      protocol: "search-r1",
      sample: 0,
      messages: [],
      turns: [
        {
          index: 0,
          text: "<think>need info</think><search>capital of France</search>",
          action: "tool",
          toolCalls: [{ id: "c1", name: "search", arguments: { query: "capital of France" } }],
          toolResults: [
            {
              callId: "c1",
              name: "search",
              content: "Paris is the capital of France.",
              isError: false,
              durationMs: 1,
              sources: [],
              cached: false,
            },
          ],
          observation: "<information>Doc 1: Paris is the capital of France.</information>",
          usage: { promptTokens: 1, completionTokens: 1 },
          startedAt: "2026-01-01T00:00:00Z",
          modelMs: 0,
          toolMs: 0,
        },
        {
          index: 1,
          text: "<think>got it</think><answer>Lyon</answer>",
          action: "answer",
          toolCalls: [],
          toolResults: [],
          usage: { promptTokens: 1, completionTokens: 1 },
          startedAt: "2026-01-01T00:00:01Z",
          modelMs: 0,
          toolMs: 0,
        },
      ],
      usage: { promptTokens: 2, completionTokens: 2, totalTokens: 4, llmCalls: 2, toolCalls: 1, costUsd: 0 },
      timings: { startedAt: "2026-01-01T00:00:00Z", durationMs: 1 },
      termination: "answer",
      prediction: "Lyon",
      verdicts: [],
      metadata: {},
    };
    const input = rewardInputFromTrajectory(trajectory);
    expect(input.format?.valid).toBe(true);
    const reward = await createReward("deepresearch-r1").score(trajectory);
    expect(reward.score).toBeCloseTo(0.3, 12);
    expect(reward.components).toMatchObject({ em: 0, retrieval_hit: 1, format: 1 });
    expect((await createReward("em").score({ ...trajectory, prediction: "paris" })).score).toBe(1);
  });
});

describe("interop", () => {
  it("parses every ground-truth shape", () => {
    expect(parseGroundTruth({ target: ["a", "b"] })).toEqual(["a", "b"]);
    expect(parseGroundTruth("a<|answer_split|>b")).toEqual(["a", "b"]);
    expect(parseGroundTruth('["x"]')).toEqual(["x"]);
    expect(parseGroundTruth(true)).toEqual(["true"]);
  });
  it("routes data sources like verl / DeepResearch-R1", () => {
    expect(rewardNameForDataSource("deep_research_9k")).toBe("deepresearch-r1");
    expect(rewardNameForDataSource("searchR1_nq")).toBe("search-r1-em");
    expect(rewardNameForDataSource("hotpotqa")).toBe("search-r1-em");
    expect(rewardNameForDataSource("custom")).toBe("em");
    expect(rewardNameForDataSource("custom", { reward: "f1" })).toBe("f1");
  });
  it("computeScore returns a dict with score", async () => {
    expect(await computeScore("searchR1_nq", VALID, { target: ["paris"] })).toMatchObject({ score: 1, em: 1 });
    expect((await computeScore("deep_research_9k", VALID, "Paris")).score).toBeCloseTo(1.2, 12);
    expect((await computeScore("nq", "<answer>x</answer>", { target: ["paris"] })).score).toBe(0);
  });
  it("OpenRLHF handler answers {rewards, scores, extra_logs} and strips prompts", async () => {
    const handler = createRemoteRewardHandler({ reward: "deepresearch-r1" });
    const prompt = "Answer like <answer>Beijing</answer>. Question: capital of France?";
    const result = await handler({
      query: [`${prompt}${VALID}`, `${prompt}<answer>Lyon</answer>`],
      prompts: [prompt, prompt],
      labels: ["Paris", '{"target": ["Paris"]}'],
    });
    expect(result.rewards[0]).toBeCloseTo(1.2, 12);
    expect(result.rewards[1]).toBeCloseTo(0.2, 12);
    expect(result.scores).toEqual([1, result.rewards[1]]);
    expect(result.extra_logs.em).toEqual([1, 0]);
    await expect(handler({ query: "x" })).rejects.toThrow(/invalid reward request/);
    await expect(handler({ query: ["a"], labels: [] })).rejects.toThrow(/one label per query/);
  });
});
