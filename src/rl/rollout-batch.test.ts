import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { makeTrajectory } from "../../test/fixtures/rl-trajectories.js";
import { TrainingError } from "../core/errors.js";
import { computeActorObjective } from "./actor-objective.js";
import { getAdvantageEstimator } from "./advantage-registry.js";
import { buildRolloutBatch, groupSizes, selectBatchRows } from "./rollout-batch.js";

// Two turns: model [10, 11] → observation [90, 91, 92] → model [12]; reward 1.
const twoTurn = makeTrajectory({
  id: "t1",
  questionId: "q1",
  promptIds: [1, 2, 3],
  reward: 1,
  turns: [
    {
      text: "<tool_call>…</tool_call>",
      ids: [10, 11],
      logprobs: [-0.1, -0.2],
      observation: "doc",
      observationIds: [90, 91, 92],
    },
    { text: "<answer>x</answer>", ids: [12], logprobs: [-0.3] },
  ],
});
// One turn, ends on an observation: model [20] → observation [95] (the last MODEL token is 20, not 95).
const endsOnObservation = makeTrajectory({
  id: "t2",
  questionId: "q1",
  promptIds: [1],
  reward: 0.5,
  sample: 1,
  turns: [{ text: "call", ids: [20], logprobs: [-0.7], observation: "doc", observationIds: [95] }],
  termination: "max turns reached",
  prediction: null,
});

describe("buildRolloutBatch", () => {
  it("lays out prompts left-padded, responses right-padded with the exact sampled ids", () => {
    const batch = buildRolloutBatch([twoTurn, endsOnObservation], { padTokenId: -1 });
    expect(batch.rows).toBe(2);
    expect(batch.promptColumns).toBe(3);
    expect(batch.columns).toBe(6);
    expect(Array.from(batch.promptIds)).toEqual([1, 2, 3, -1, -1, 1]);
    expect(Array.from(batch.promptAttentionMask)).toEqual([1, 1, 1, 0, 0, 1]);
    expect(Array.from(batch.responseIds)).toEqual([10, 11, 90, 91, 92, 12, 20, 95, -1, -1, -1, -1]);
    expect(Array.from(batch.responseAttentionMask)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0]);
    expect(Array.from(batch.responseMask)).toEqual([1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]);
    expect(Array.from(batch.oldLogProb)).toEqual([-0.1, -0.2, 0, 0, 0, -0.3, -0.7, 0, 0, 0, 0, 0]);
  });

  it("puts the outcome reward on the last model token, never on an observation", () => {
    const batch = buildRolloutBatch([twoTurn, endsOnObservation]);
    expect(Array.from(batch.tokenLevelScores)).toEqual([0, 0, 0, 0, 0, 1, 0.5, 0, 0, 0, 0, 0]);
  });

  it("counts model tokens only in the response length, and records groups and diagnostics", () => {
    const batch = buildRolloutBatch([twoTurn, endsOnObservation]);
    expect(Array.from(batch.responseLengths)).toEqual([3, 1]);
    expect(Array.from(batch.validLengths)).toEqual([6, 2]);
    expect(batch.index).toEqual(["q1", "q1"]);
    expect(Array.from(batch.numTurns)).toEqual([2, 1]);
    expect(batch.trajectoryIds).toEqual(["t1", "t2"]);
    expect(batch.hasSamplerLogProbs).toEqual([true, true]);
    expect(groupSizes(batch.index)).toEqual(new Map([["q1", 2]]));
  });

  it("pads to a fixed length and truncates only when asked", () => {
    expect(buildRolloutBatch([twoTurn], { maxResponseLength: 8 }).columns).toBe(8);
    expect(() => buildRolloutBatch([twoTurn], { maxResponseLength: 4 })).toThrow(
      /6 response tokens but maxResponseLength is 4/,
    );
    const cut = buildRolloutBatch([twoTurn], { maxResponseLength: 4, overflow: "truncate" });
    expect(cut.truncated).toEqual([true]);
    // the last model token inside the window is index 1 (id 11)
    expect(Array.from(cut.tokenLevelScores)).toEqual([0, 1, 0, 0]);
    expect(Array.from(cut.responseLengths)).toEqual([2]);
  });

  it("refuses trajectories without a token view, without a reward, or with mismatched logprobs", () => {
    const noTokens = makeTrajectory({ id: "x", reward: 1, withTokens: false, turns: [{ text: "a" }] });
    expect(() => buildRolloutBatch([noTokens])).toThrow(TrainingError);
    expect(() => buildRolloutBatch([noTokens])).toThrow(/never re-tokenises/);
    const noReward = makeTrajectory({ id: "y", turns: [{ text: "a", ids: [1], logprobs: [-1] }] });
    expect(() => buildRolloutBatch([noReward])).toThrow(/has no reward/);
    expect(buildRolloutBatch([noReward], { rewardOf: () => 2 }).tokenLevelScores[0]).toBe(2);
    const bad = makeTrajectory({ id: "z", reward: 1, turns: [{ text: "a", ids: [1, 2], logprobs: [-1] }] });
    expect(() => buildRolloutBatch([bad])).toThrow(/2 ids but 1 logprobs/);
    const noModel = makeTrajectory({
      id: "w",
      reward: 1,
      turns: [{ text: "a", observation: "o", observationIds: [5] }],
    });
    expect(() => buildRolloutBatch([noModel])).toThrow(/no model tokens/);
  });

  it("flags rows whose model spans lack sampler logprobs", () => {
    const missing = makeTrajectory({ id: "m", reward: 1, turns: [{ text: "a", ids: [4, 5] }] });
    expect(buildRolloutBatch([missing]).hasSamplerLogProbs).toEqual([false]);
  });

  it("selectBatchRows gathers rows with new group ids", () => {
    const batch = buildRolloutBatch([twoTurn, endsOnObservation]);
    const picked = selectBatchRows(batch, [1, 1, 0], ["a", "a#dup1", "b"]);
    expect(picked.index).toEqual(["a", "a#dup1", "b"]);
    expect(Array.from(picked.responseIds.subarray(0, 6))).toEqual([20, 95, 0, 0, 0, 0]);
    expect(Array.from(picked.responseIds.subarray(12, 18))).toEqual([10, 11, 90, 91, 92, 12]);
    expect(picked.trajectoryIds).toEqual(["t2", "t2", "t1"]);
  });

  it("end to end: observation tokens get no advantage and no gradient", () => {
    const batch = buildRolloutBatch([twoTurn, endsOnObservation]);
    const { advantages } = getAdvantageEstimator("grpo").compute({
      ...batch,
      tokenLevelRewards: batch.tokenLevelScores,
    });
    const out = computeActorObjective(
      { ...batch, logProb: batch.oldLogProb.map((v) => v - 0.05), advantages, refLogProb: batch.oldLogProb },
      { useKlLoss: true },
    );
    batch.responseMask.forEach((m, k) => {
      if (m === 0) {
        expect(Math.abs(advantages[k] as number)).toBe(0);
        expect(Math.abs(out.gradLogProb[k] as number)).toBe(0);
      }
    });
    expect(out.gradLogProb[0]).not.toBe(0);
  });

  it("property: ids, mask and logprobs round-trip the spans for any span layout", () => {
    const span = fc.record({
      model: fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 4 }),
      observation: fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 4 }),
    });
    fc.assert(
      fc.property(fc.array(span, { minLength: 1, maxLength: 4 }), (spans) => {
        const trajectory = makeTrajectory({
          id: "p",
          reward: 1,
          turns: spans.map((s) => ({
            text: "t",
            ids: s.model,
            logprobs: s.model.map((id) => -id / 1000),
            observation: "o",
            observationIds: s.observation,
          })),
        });
        const batch = buildRolloutBatch([trajectory]);
        const ids = spans.flatMap((s) => [...s.model, ...s.observation]);
        const mask = spans.flatMap((s) => [...s.model.map(() => 1), ...s.observation.map(() => 0)]);
        expect(Array.from(batch.responseIds)).toEqual(ids);
        expect(Array.from(batch.responseMask)).toEqual(mask);
        expect(batch.responseLengths[0]).toBe(mask.filter((m) => m === 1).length);
        const last = mask.lastIndexOf(1);
        batch.tokenLevelScores.forEach((score, t) => {
          expect(score).toBe(t === last ? 1 : 0);
        });
        batch.oldLogProb.forEach((lp, t) => {
          expect(lp).toBe(mask[t] === 1 ? -(ids[t] as number) / 1000 : 0);
        });
      }),
      { numRuns: 80 },
    );
  });
});

describe("toTinkerData", () => {
  it("aligns targets, sampler logprobs and advantages next-token, zero on prompt and observations", async () => {
    const { toTinkerData } = await import("./tinker-datum.js");
    const batch = buildRolloutBatch([twoTurn, endsOnObservation]);
    const advantages = new Float64Array(batch.rows * batch.columns).map((_, k) =>
      batch.responseMask[k] === 1 ? 0.5 : 0,
    );
    const [first, second] = toTinkerData(batch, advantages);
    // row 0: prompt [1, 2, 3], response [10, 11, 90, 91, 92, 12]
    expect(first?.model_input.chunks[0]?.tokens).toEqual([1, 2, 3, 10, 11, 90, 91, 92]);
    expect(first?.loss_fn_inputs.target_tokens.data).toEqual([2, 3, 10, 11, 90, 91, 92, 12]);
    expect(first?.loss_fn_inputs.logprobs.data).toEqual([0, 0, -0.1, -0.2, 0, 0, 0, -0.3]);
    expect(first?.loss_fn_inputs.advantages.data).toEqual([0, 0, 0.5, 0.5, 0, 0, 0, 0.5]);
    expect(first?.loss_fn_inputs.target_tokens.shape).toEqual([8]);
    // row 1: prompt [1] (left padding stripped), response [20, 95]
    expect(second?.model_input.chunks[0]?.tokens).toEqual([1, 20]);
    expect(second?.loss_fn_inputs.target_tokens.data).toEqual([20, 95]);
    expect(second?.loss_fn_inputs.advantages.data).toEqual([0.5, 0]);
  });
});
