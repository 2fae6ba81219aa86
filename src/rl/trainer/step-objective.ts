/** What the custom and the native loss steps share: the advantages of a batch and the actor loss settings. */
import { TrainingError } from "../../core/errors.js";
import { getAdvantageEstimator } from "../advantage-registry.js";
import { SEGMENT_ESTIMATORS, segmentAdvantages } from "../rollout-segments.js";
import { maskedSum, maskSum } from "../tensor.js";
import type { AlgorithmPreset } from "./algorithms.js";
import type { RlOptions } from "./rl-trainer.js";
import type { TokenBatch } from "./token-batch.js";

/**
 * The algorithm's advantages (and returns) for a batch; `values` only for a critic. Rows that are context segments
 * of one rollout get that rollout's advantage (ReSum-GRPO), which needs a per-row scalar estimator.
 */
export function batchAdvantages(
  batch: TokenBatch,
  algorithm: AlgorithmPreset,
  options: Pick<RlOptions, "gamma" | "lam">,
  values?: Float64Array,
) {
  const estimator = getAdvantageEstimator(algorithm.estimator);
  const config = { gamma: options.gamma, lam: options.lam };
  const input = {
    rows: batch.rows,
    columns: batch.columns,
    tokenLevelRewards: batch.tokenLevelRewards,
    responseMask: batch.lossMask,
    index: batch.index,
    values,
  };
  const rollouts = batch.rollout.rollouts;
  if (new Set(rollouts).size === rollouts.length) return estimator.compute(input, config);
  if (!SEGMENT_ESTIMATORS.includes(algorithm.estimator))
    throw new TrainingError(
      `the batch has context segments (summarize episodes) and ${algorithm.estimator} gives per-token advantages that cannot be shared across segments; use one of ${SEGMENT_ESTIMATORS.join(", ")}`,
    );
  return segmentAdvantages(input, rollouts, (sub) => estimator.compute(sub, config));
}

/** The policy-loss settings of `computeActorObjective` for an algorithm and run options. */
export function actorLossConfig(
  algorithm: AlgorithmPreset,
  options: Pick<RlOptions, "clipRatio" | "clipRatioHigh" | "entropyCoeff">,
) {
  return {
    lossMode: algorithm.lossMode,
    lossAggMode: algorithm.lossAggMode,
    clipRatio: options.clipRatio,
    clipRatioHigh: options.clipRatioHigh ?? algorithm.clipRatioHigh,
    entropyCoeff: options.entropyCoeff,
  };
}

/**
 * Each rollout's advantage as one number (the mean over its trained tokens; outcome estimators give every token the
 * same value), keyed by rollout id — stored on saved rollouts (`metadata.advantage`) for the workbench's rollout
 * groups.
 */
export function rolloutAdvantages(batch: TokenBatch, advantages: Float64Array): Map<string, number> {
  const out = new Map<string, number>();
  for (let row = 0; row < batch.rows; row++) {
    const start = row * batch.columns;
    const mask = batch.lossMask.subarray(start, start + batch.columns);
    const count = maskSum(mask);
    const rollout = batch.rollout.rollouts[row] as string;
    if (count > 0 && !out.has(rollout))
      out.set(rollout, maskedSum(advantages.subarray(start, start + batch.columns), mask) / count);
  }
  return out;
}
