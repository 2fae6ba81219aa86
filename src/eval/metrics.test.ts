import { describe, expect, it } from "vitest";
import {
  accuracyMetrics,
  agentStatistics,
  breakdown,
  calibrationError,
  type ItemResult,
  judgeDisagreements,
  passAtKUnbiased,
  threeWayMetrics,
} from "./metrics.js";

function item(
  questionId: string,
  sample: number,
  correct: boolean | null,
  prediction: string | null,
  extra: Partial<ItemResult> = {},
): ItemResult {
  return {
    questionId,
    sample,
    correct,
    prediction,
    turns: 2,
    toolCalls: 1,
    tokens: 100,
    costUsd: 0.01,
    durationMs: 10,
    termination: "answer",
    ...extra,
  };
}

// q1: T T F (c=2); q2: F F F (c=0); q3: T F T (c=2)
const items: ItemResult[] = [
  item("q1", 0, true, "Paris", { level: "1" }),
  item("q1", 1, true, "paris.", { level: "1" }),
  item("q1", 2, false, "Lyon", { level: "1" }),
  item("q2", 0, false, "x", { level: "2" }),
  item("q2", 1, false, "y", { level: "2" }),
  item("q2", 2, false, null, { level: "2", termination: "max turns reached", turns: 5 }),
  item("q3", 0, true, "A", { level: "2" }),
  item("q3", 1, false, "B", { level: "2" }),
  item("q3", 2, true, "a", { level: "2" }),
];

describe("unbiased pass@k", () => {
  it("matches hand-computed values", () => {
    expect(passAtKUnbiased(3, 1, 2)).toBeCloseTo(2 / 3, 12); // 1 − C(2,2)/C(3,2)
    expect(passAtKUnbiased(5, 2, 2)).toBeCloseTo(1 - 3 / 10, 12); // 1 − C(3,2)/C(5,2)
    expect(passAtKUnbiased(3, 0, 3)).toBe(0);
    expect(passAtKUnbiased(3, 1, 3)).toBe(1);
    expect(passAtKUnbiased(4, 1, 1)).toBeCloseTo(0.25, 12);
    expect(() => passAtKUnbiased(2, 1, 3)).toThrow(/at least 3/);
  });
});

describe("accuracy metrics on a hand-checked 3×3 grid", () => {
  const metrics = accuracyMetrics(items);
  it("Pass@1 per run, Avg@k, Best Pass@1", () => {
    expect(metrics.pass1PerRun.map((value) => Number(value.toFixed(6)))).toEqual([0.666667, 0.333333, 0.333333]);
    expect(metrics.pass1).toBeCloseTo(2 / 3, 12);
    expect(metrics.avgAtK).toBeCloseTo(4 / 9, 12);
    expect(metrics.bestPass1).toBeCloseTo(2 / 3, 12);
    expect(metrics.k).toBe(3);
  });
  it("Pass@k (unbiased) and Cons@k (majority of normalised answers)", () => {
    expect(metrics.passAtK["1"]).toBeCloseTo(4 / 9, 12);
    expect(metrics.passAtK["2"]).toBeCloseTo(2 / 3, 12);
    expect(metrics.passAtK["3"]).toBeCloseTo(2 / 3, 12);
    // q1 votes paris (2) → right; q2 → wrong; q3 votes "a" (A, a) → right
    expect(metrics.consAtK).toBeCloseTo(2 / 3, 12);
  });
  it("a tie goes to the answer of the lowest sample", () => {
    const tie = accuracyMetrics([item("t", 1, true, "y"), item("t", 0, false, "x")]);
    expect(tie.consAtK).toBe(0);
  });
  it("never counts a judge failure (correct null) as right or wrong", () => {
    const withError = accuracyMetrics([...items, item("q4", 0, null, "z")]);
    expect(withError.unscored).toBe(1);
    expect(withError.pass1).toBeCloseTo(2 / 3, 12);
    expect(withError.avgAtK).toBeCloseTo(4 / 9, 12);
    expect(withError.questions).toBe(4);
  });
  it("breaks down by level", () => {
    const byLevel = breakdown(items, "level");
    expect(Object.keys(byLevel)).toEqual(["1", "2"]);
    expect(byLevel["1"]?.avgAtK).toBeCloseTo(2 / 3, 12);
    expect(byLevel["2"]?.avgAtK).toBeCloseTo(1 / 3, 12);
  });
});

describe("agent statistics and judge reports", () => {
  it("averages turns, tools, tokens, cost and counts terminations", () => {
    const stats = agentStatistics(items);
    expect(stats.meanTurns).toBeCloseTo((8 * 2 + 5) / 9, 12);
    expect(stats.totalTokens).toBe(900);
    expect(stats.totalCostUsd).toBeCloseTo(0.09, 12);
    expect(stats.terminations).toEqual({ answer: 8, "max turns reached": 1 });
    expect(stats.turnsHistogram).toEqual({ "2": 8, "5": 1 });
    expect(stats.correctMeanTurns).toBe(2);
  });
  it("lists judge/EM disagreements", () => {
    const list = judgeDisagreements([
      item("a", 0, true, "Paris, France", { em: 0 }),
      item("b", 0, false, "Paris", { em: 1 }),
      item("c", 0, true, "Paris", { em: 1 }),
      item("d", 0, null, "x", { em: 0 }),
    ]);
    expect(list.map((entry) => [entry.questionId, entry.em, entry.judge])).toEqual([
      ["a", 0, true],
      ["b", 1, false],
    ]);
  });
  it("computes SimpleQA three-way rates and F", () => {
    const three = threeWayMetrics([
      item("a", 0, true, "x", { grade: "correct" }),
      item("b", 0, true, "x", { grade: "correct" }),
      item("c", 0, false, "x", { grade: "incorrect" }),
      item("d", 0, false, "x", { grade: "not_attempted" }),
    ]);
    expect(three?.correct).toBe(0.5);
    expect(three?.accuracyGivenAttempted).toBeCloseTo(2 / 3, 12);
    expect(three?.f).toBeCloseTo(4 / 7, 12);
    expect(threeWayMetrics(items)).toBeUndefined();
  });
  it("computes BrowseComp calibration error over 5 bins", () => {
    const error = calibrationError([
      item("a", 0, true, "x", { confidence: 90 }),
      item("b", 0, false, "x", { confidence: 90 }),
      item("c", 0, false, "x", { confidence: 10 }),
    ]);
    // bin 4: |50 − 90|·2/3 = 26.67; bin 0: |0 − 10|·1/3 = 3.33
    expect(error).toBeCloseTo(30, 10);
  });
});
