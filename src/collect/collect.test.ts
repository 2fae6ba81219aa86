import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parquetReadObjects } from "hyparquet";
import { describe, expect, it } from "vitest";
import { makeTrajectory } from "../../test/fixtures/rl-trajectories.js";
import { filterTrajectories } from "./select.js";
import { toSftChatml, toWebDancer } from "./sft-export.js";
import { isCorrect, maxNgramCount, maxRepeatedCalls, qualityReason, validityReason } from "./trajectory-checks.js";
import { readTrajectoryFile } from "./trajectory-file.js";
import { toQuestionRecord, toVerlRow, verlParquetBuffer, verlPromptStyle } from "./verl-parquet.js";

const search = (query: string, observation = "doc") => ({
  text: `<think>look up ${query}</think>\n<tool_call>{"name":"search","arguments":{"query":["${query}"]}}</tool_call>`,
  toolArguments: { query: [query] },
  observation,
});
const answer = (text: string) => ({ text: `<think>done</think>\n<answer>${text}</answer>` });

const good = makeTrajectory({
  id: "g1",
  questionId: "q1",
  reward: 1,
  turns: [search("a"), answer("x")],
  goldAnswers: ["x"],
});
const good2 = makeTrajectory({ id: "g2", questionId: "q1", reward: 1, turns: [search("a"), search("b"), answer("x")] });
const wrong = makeTrajectory({ id: "w1", questionId: "q2", reward: 0, turns: [search("c"), answer("y")] });
const judgedWrong = makeTrajectory({ id: "j1", questionId: "q3", reward: 1, correct: false, turns: [answer("x")] });
const judgeError = makeTrajectory({ id: "j2", questionId: "q3", reward: 1, correct: null, turns: [answer("x")] });
const invalid = makeTrajectory({
  id: "i1",
  questionId: "q4",
  reward: 1,
  turns: [{ text: "???", action: "invalid" }, answer("x")],
});
const noAnswer = makeTrajectory({
  id: "n1",
  questionId: "q4",
  reward: 0,
  turns: [search("a")],
  prediction: null,
  termination: "max turns reached",
});
const repeated = makeTrajectory({
  id: "r1",
  questionId: "q5",
  reward: 1,
  turns: [search("a"), search("a"), search("a"), answer("x")],
});

describe("checks", () => {
  it("validity: invalid actions, unparsable calls, missing answers", () => {
    expect(validityReason(good)).toBeNull();
    expect(validityReason(invalid)).toBe("invalid action in turn 0");
    expect(validityReason(noAnswer)).toBe("no final answer");
    expect(validityReason(noAnswer, { requireAnswer: false })).toBeNull();
  });
  it("correctness: an ok verdict decides; judge errors never count; else the reward threshold", () => {
    expect(isCorrect(good)).toBe(true);
    expect(isCorrect(wrong)).toBe(false);
    expect(isCorrect(judgedWrong)).toBe(false);
    expect(isCorrect(judgeError)).toBe(true); // the error verdict is ignored, reward 1 decides
    expect(isCorrect(wrong, { minReward: 0 })).toBe(true);
    expect(isCorrect(makeTrajectory({ id: "u", turns: [answer("x")] }))).toBeNull();
  });
  it("quality: repeated calls, turns, tool calls, answer words and the 10-gram cap", () => {
    expect(maxRepeatedCalls(repeated)).toBe(3);
    expect(qualityReason(repeated, { maxRepeatedCalls: 2 })).toMatch(/repeats 3 times > 2/);
    expect(qualityReason(good, { minToolCalls: 6 })).toBe("1 tool calls < 6");
    expect(qualityReason(good2, { maxTurns: 2 })).toBe("3 turns > 2");
    const verbose = makeTrajectory({ id: "v", reward: 1, turns: [answer("a b c d e f")], prediction: "a b c d e f" });
    expect(qualityReason(verbose, { maxAnswerWords: 5 })).toBe("answer has 6 words > 5");
    // a 10-word phrase said 5 times: max 10-gram count 5 > 4
    const phrase = "one two three four five six seven eight nine ten";
    expect(maxNgramCount(Array(5).fill(phrase).join(" "))).toBe(5);
    expect(maxNgramCount(Array(4).fill(phrase).join(" "))).toBe(4);
    const looping = makeTrajectory({ id: "l", reward: 1, turns: [{ text: Array(5).fill(phrase).join(" ") }] });
    expect(qualityReason(looping)).toBe("a 10-gram repeats 5 times > 4");
    expect(qualityReason(good)).toBeNull();
  });
});

describe("filterTrajectories", () => {
  const all = [good, good2, wrong, judgedWrong, judgeError, invalid, noAnswer, repeated, good];
  it("runs the funnel and reports each rejection with its stage", () => {
    const result = filterTrajectories(all, { quality: { maxRepeatedCalls: 2, maxNgramRepeats: 4 } });
    expect(result.kept.map((t) => t.id)).toEqual(["g1", "g2", "j2"]);
    expect(result.counts).toEqual({
      input: 9,
      validity: 2,
      correctness: 2,
      quality: 1,
      duplicate: 1,
      "best-of-k": 0,
      kept: 3,
    });
    expect(result.rejected.find((r) => r.id === "i1")).toEqual({
      id: "i1",
      questionId: "q4",
      stage: "validity",
      reason: "invalid action in turn 0",
    });
    expect(result.unsolvedQuestionIds.sort()).toEqual(["q2", "q4", "q5"]);
  });
  it("keep-best-of-k prefers fewer tool calls at equal reward", () => {
    const a = makeTrajectory({ id: "a", questionId: "q", reward: 1, turns: [search("1"), search("2"), answer("x")] });
    const b = makeTrajectory({ id: "b", questionId: "q", reward: 1, turns: [search("1"), answer("x")] });
    b.usage.toolCalls = 1;
    a.usage.toolCalls = 2;
    const result = filterTrajectories([a, b], { bestOfK: 1 });
    expect(result.kept.map((t) => t.id)).toEqual(["b"]);
    expect(result.rejected).toEqual([{ id: "a", questionId: "q", stage: "best-of-k", reason: "not among the best 1" }]);
  });
  it("rejection sampling only: keeps correct by reward threshold", () => {
    const result = filterTrajectories(all, { validity: false, quality: false, dedupe: false, minReward: 1 });
    expect(result.kept.map((t) => t.id)).toEqual(["g1", "g2", "j2", "i1", "r1", "g1"]);
  });
});

describe("SFT exports", () => {
  it("sft-chatml: assistant turns trained, system/user/observations masked", () => {
    const record = toSftChatml(good);
    expect(record.messages.map((m) => [m.role, m.loss])).toEqual([
      ["system", false],
      ["user", false],
      ["assistant", true],
      ["user", false],
      ["assistant", true],
    ]);
    expect(record.answers).toEqual(["x"]);
    expect(record.reward).toBe(1);
  });
  it("sft-chatml keeps native tool calls and inlines reasoning", () => {
    const native = makeTrajectory({ id: "n", reward: 1, turns: [answer("x")] });
    native.messages = [
      { role: "user", content: "Q?" },
      {
        role: "assistant",
        content: "",
        reasoning: "I should search",
        toolCalls: [{ id: "c1", name: "search", arguments: { query: ["q"] } }],
      },
      { role: "tool", content: "results", toolCallId: "c1" },
      { role: "assistant", content: "<answer>x</answer>" },
    ];
    const record = toSftChatml(native);
    expect(record.messages[1]).toEqual({
      role: "assistant",
      content: "<think>\nI should search\n</think>\n",
      tool_calls: [{ id: "c1", type: "function", function: { name: "search", arguments: { query: ["q"] } } }],
      loss: true,
    });
    expect(record.messages[2]).toEqual({ role: "tool", content: "results", tool_call_id: "c1", loss: false });
    expect(toSftChatml(native, { reasoning: "drop" }).messages[1]?.content).toBe("");
    const webdancer = toWebDancer(native);
    expect(webdancer.messages[1]?.content).toBe(
      '<think>\nI should search\n</think>\n<tool_call>\n{"name":"search","arguments":{"query":["q"]}}\n</tool_call>',
    );
    expect(webdancer.messages[2]).toEqual({ role: "user", content: "<tool_response>\nresults\n</tool_response>" });
  });
  it("webdancer sample_traj layout", () => {
    const record = toWebDancer(good);
    expect(record.type).toBe("chatml");
    expect(record.task).toBe("agent/multiturn_search");
    expect(record.answer).toEqual([["x"]]);
    expect(record.tool_calls).toEqual([]);
    expect(record.functions.map((f) => f.name_for_model)).toEqual(["search"]);
    expect(record.messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "user", "assistant"]);
    expect(record.messages[3]?.content).toBe("<tool_response>\ndoc\n</tool_response>");
  });
});

describe("verl parquet", () => {
  const lines = readFileSync(new URL("../../data/hotpotqa/questions.jsonl", import.meta.url), "utf8")
    .split("\n")
    .slice(0, 3);
  // The bundled rows carry their own `source` (the subset they came from); the CLI's --source overrides it.
  const questions = lines.map((line, i) => ({
    ...toQuestionRecord(JSON.parse(line), String(i), "x"),
    source: "hotpotqa",
  }));

  it("maps raw HotpotQA rows to question records", () => {
    expect(toQuestionRecord(JSON.parse(lines[0] as string), "0", "x")).toEqual({
      id: "5a8b57f25542995d1e6f1371",
      question: "Were Scott Derrickson and Ed Wood of the same nationality?",
      answers: ["yes"],
      source: JSON.parse(lines[0] as string).source,
    });
    expect(toQuestionRecord({ question: "q", goldAnswers: ["a"] }, "7", "fallback")).toEqual({
      id: "7",
      question: "q",
      answers: ["a"],
      source: "fallback",
    });
    expect(() => toQuestionRecord({ question: "no answers" }, "1", "x", { file: "f.jsonl", line: 3 })).toThrow(
      /f\.jsonl:3: question record has no answers/,
    );
  });

  it("writes rows pyarrow-style readers get back as nested structs and lists", async () => {
    const rows = questions.map((question, index) =>
      toVerlRow(question, index, { dataSourcePrefix: "searchR1_", toolsKwargs: true }),
    );
    const back = await parquetReadObjects({ file: verlParquetBuffer(rows) });
    expect(back).toHaveLength(3);
    const first = back[0] as Record<string, unknown>;
    expect(first.data_source).toBe("searchR1_hotpotqa");
    expect(first.ability).toBe("fact-reasoning");
    expect(first.reward_model).toEqual({ style: "rule", ground_truth: { target: ["yes"] } });
    const prompt = first.prompt as Array<{ role: string; content: string }>;
    expect(prompt).toHaveLength(1);
    expect(prompt[0]?.role).toBe("user");
    expect(prompt[0]?.content).toMatch(
      /<search>.*Question: Were Scott Derrickson and Ed Wood of the same nationality\?\n$/s,
    );
    const extra = first.extra_info as Record<string, unknown>;
    expect(extra.split).toBe("train");
    expect(Number(extra.index)).toBe(0);
    expect(extra.id).toBe("5a8b57f25542995d1e6f1371");
    expect(extra.need_tools_kwargs).toBe(true);
    expect(extra.tools_kwargs).toEqual({
      search: {
        create_kwargs: {
          ground_truth: { target: ["yes"] },
          question: questions[0]?.question,
          data_source: "searchR1_hotpotqa",
        },
      },
    });
    const plain = await parquetReadObjects({
      file: verlParquetBuffer([
        toVerlRow(questions[1]!, 0, { promptStyle: "plain", systemPrompt: "be brief", agentName: "tool_agent" }),
      ]),
    });
    expect((plain[0] as Record<string, unknown>).prompt).toEqual([
      { role: "system", content: "be brief" },
      { role: "user", content: questions[1]?.question },
    ]);
    expect((plain[0] as Record<string, unknown>).agent_name).toBe("tool_agent");
  });
  it("verl tool_agent rows ask for <tool_call>, and search-r1 prompts with tool_agent are refused", () => {
    expect(verlPromptStyle(undefined, undefined)).toBe("search-r1");
    expect(verlPromptStyle(undefined, "tool_agent")).toBe("tool-call");
    expect(verlPromptStyle("plain", "tool_agent")).toBe("plain");
    expect(() => verlPromptStyle("search-r1", "tool_agent")).toThrow(/--prompt-style tool-call/);
    expect(() => verlPromptStyle("chat", undefined)).toThrow(/search-r1, tool-call, plain/);
    const row = toVerlRow({ id: "1", question: "Who?", answers: ["x"], source: "nq" }, 0, { promptStyle: "tool-call" });
    expect(row.prompt[0]).toEqual({ role: "system", content: "You are a helpful and harmless assistant." });
    expect(row.prompt[1]?.content).toMatch(/by <tool_call> query <\/tool_call>.*Question: Who\?$/);
    expect(row.prompt[1]?.content).not.toContain("<search>");
  });
});

describe("trajectory files", () => {
  it("reports the file and line of a bad record", async () => {
    const dir = mkdtempSync(join(tmpdir(), "drkit-collect-"));
    const file = join(dir, "t.jsonl");
    writeFileSync(file, `${JSON.stringify(good)}\n\n${JSON.stringify({ id: "broken" })}\n`);
    await expect(readTrajectoryFile(file)).rejects.toThrow(
      new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:3: not a drkit trajectory record`),
    );
    writeFileSync(file, `${JSON.stringify(good)}\n{oops\n`);
    await expect(readTrajectoryFile(file)).rejects.toThrow(/:2: invalid JSON/);
  });
});

describe("verl data_source names", () => {
  it("writes the names verl's Search-R1 scorer accepts under searchR1_", async () => {
    const { verlDataSource } = await import("./verl-parquet.js");
    const accepted = ["nq", "triviaqa", "popqa", "hotpotqa", "2wikimultihopqa", "musique", "bamboogle"];
    for (const [source, expected] of [
      ["tq", "triviaqa"],
      ["triviaqa", "triviaqa"],
      ["2wiki", "2wikimultihopqa"],
      ["Bamboogle", "bamboogle"],
      ["nq", "nq"],
      ["hotpotqa", "hotpotqa"],
    ] as const) {
      expect(verlDataSource(source, "searchR1_")).toBe(`searchR1_${expected}`);
      expect(accepted).toContain(expected);
    }
    expect(verlDataSource("tq", "")).toBe("tq");
    expect(verlDataSource("frames", "searchR1_")).toBe("searchR1_frames");
  });
});
