import { describe, expect, it } from "vitest";
import type { Trajectory, TrajectoryInput } from "../core/trajectory.js";
import { parseTrajectory } from "../core/trajectory.js";
import { computeGrpoAdvantage } from "./outcome-advantages.js";
import { buildRolloutBatch } from "./rollout-batch.js";
import { segmentAdvantages, segmentSamples } from "./rollout-segments.js";
import { getAlgorithm } from "./trainer/algorithms.js";
import { batchAdvantages } from "./trainer/step-objective.js";
import { buildTokenBatch } from "./trainer/token-batch.js";

const view = (promptIds: number[], model: number[], observation: number[], turn: number) => ({
  tokenizer: "t",
  promptIds,
  spans: [
    { source: "model" as const, turn, ids: model, logprobs: model.map(() => -0.5) },
    ...(observation.length > 0 ? [{ source: "observation" as const, turn, ids: observation }] : []),
  ],
});

function trajectory(id: string, score: number, segmented: boolean): Trajectory {
  const turn = (index: number) => ({
    index,
    text: "",
    action: "tool" as const,
    usage: {},
    startedAt: "2026-12-05T00:00:00Z",
  });
  const input: TrajectoryInput = {
    version: 1,
    id,
    questionId: "q1",
    question: "Who?",
    protocol: "react",
    messages: [{ role: "user", content: "Who? (resumed)" }],
    turns: segmented ? [turn(0), turn(1)] : [turn(0)],
    tokens: segmented ? view([1, 2, 9], [30, 31], [], 1) : view([1, 2], [20, 21, 22], [], 0),
    ...(segmented
      ? {
          segments: [
            {
              firstTurn: 0,
              lastTurn: 0,
              messages: [{ role: "user", content: "Who?" }],
              tokens: view([1, 2], [10, 11], [50, 51, 52], 0),
              summary: "state",
              contextTokens: 7,
            },
          ],
        }
      : {}),
    usage: {},
    timings: { startedAt: "2026-12-05T00:00:00Z" },
    termination: "answer",
    prediction: "x",
    reward: { score, name: "em" },
  };
  return parseTrajectory(input);
}

describe("context segments as training samples", () => {
  it("a summarize episode becomes one sample per segment with its own token view", () => {
    const samples = segmentSamples(trajectory("a", 1, true));
    expect(samples.map((sample) => sample.id)).toEqual(["a#segment-0", "a#segment-1"]);
    expect(samples.map((sample) => sample.tokens?.promptIds)).toEqual([
      [1, 2],
      [1, 2, 9],
    ]);
    expect(samples.map((sample) => sample.turns.map((turn) => turn.index))).toEqual([[0], [1]]);
    expect(samples[0]?.metadata).toMatchObject({ rollout: "a", segment: 0, segmentCount: 2 });
    expect(segmentSamples(trajectory("b", 0, false)).map((sample) => sample.id)).toEqual(["b"]);
  });

  it("the batch has a row per segment, each scored with its rollout's reward, observations masked", () => {
    const batch = buildRolloutBatch([trajectory("a", 1, true), trajectory("b", 0, false)]);
    expect(batch.rows).toBe(3);
    expect(batch.rollouts).toEqual(["a", "a", "b"]);
    expect(batch.index).toEqual(["q1", "q1", "q1"]);
    expect(batch.trajectoryIds).toEqual(["a#segment-0", "a#segment-1", "b"]);
    // Segment 0: model [10, 11] then observation [50, 51, 52]: the reward sits on its last model token.
    const row = (name: keyof typeof batch, i: number) =>
      Array.from((batch[name] as Float64Array).subarray(i * batch.columns, (i + 1) * batch.columns));
    expect(row("responseIds", 0)).toEqual([10, 11, 50, 51, 52]);
    expect(row("responseMask", 0)).toEqual([1, 1, 0, 0, 0]);
    expect(row("tokenLevelScores", 0)).toEqual([0, 1, 0, 0, 0]);
    expect(row("tokenLevelScores", 1)).toEqual([0, 1, 0, 0, 0]);
  });

  it("GRPO counts rollouts, not segments, and every segment gets its rollout's advantage (ReSum-GRPO)", () => {
    const batch = buildTokenBatch([trajectory("a", 1, true), trajectory("b", 0, false)]);
    const grpo = getAlgorithm("grpo");
    const { advantages } = batchAdvantages(batch, grpo, { gamma: 1, lam: 1 });
    // Two rollouts with rewards 1 and 0: mean 0.5, unbiased std 0.7071 → ±0.7071 (within ε).
    const expected = 0.5 / (Math.SQRT1_2 + 1e-6);
    const row = (i: number) => Array.from(advantages.subarray(i * batch.columns, (i + 1) * batch.columns));
    expect(row(0).map((value) => Number(value.toFixed(6)))).toEqual(
      [expected, expected, 0, 0, 0].map((value) => Number(value.toFixed(6))),
    );
    expect(row(1)[0]).toBeCloseTo(expected, 6);
    expect(row(2)[0]).toBeCloseTo(-expected, 6);
    // Counting segments as samples would weigh rollout a twice: the group mean would be 2/3.
    const naive = computeGrpoAdvantage({
      rows: 3,
      columns: batch.columns,
      tokenLevelRewards: batch.tokenLevelRewards,
      responseMask: batch.responseMask,
      index: batch.index,
    });
    expect(naive.advantages[0]).not.toBeCloseTo(expected, 3);
  });

  it("a token-level estimator is refused on segments, with the estimators that work", () => {
    const batch = buildTokenBatch([trajectory("a", 1, true), trajectory("b", 0, false)]);
    expect(() => batchAdvantages(batch, getAlgorithm("reinforce++"), { gamma: 1, lam: 1 })).toThrow(
      /cannot be shared across segments; use one of grpo, dr_grpo/,
    );
    const plain = buildTokenBatch([trajectory("b", 0, false), trajectory("c", 1, false)]);
    const input = {
      rows: plain.rows,
      columns: plain.columns,
      tokenLevelRewards: plain.tokenLevelRewards,
      responseMask: plain.responseMask,
      index: plain.index,
    };
    expect(segmentAdvantages(input, plain.rollout.rollouts, computeGrpoAdvantage).advantages).toEqual(
      computeGrpoAdvantage(input).advantages,
    );
  });
});
