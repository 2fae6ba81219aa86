/** What the custom and the native loss steps share: the advantages of a batch and the actor loss settings. */
import { getAdvantageEstimator } from "../advantage-registry.js";
import type { AlgorithmPreset } from "./algorithms.js";
import type { RlOptions } from "./rl-trainer.js";
import type { TokenBatch } from "./token-batch.js";

/** The algorithm's advantages (and returns) for a batch; `values` only for a critic. */
export function batchAdvantages(
  batch: TokenBatch,
  algorithm: AlgorithmPreset,
  options: Pick<RlOptions, "gamma" | "lam">,
  values?: Float64Array,
) {
  return getAdvantageEstimator(algorithm.estimator).compute(
    {
      rows: batch.rows,
      columns: batch.columns,
      tokenLevelRewards: batch.tokenLevelRewards,
      responseMask: batch.lossMask,
      index: batch.index,
      values,
    },
    { gamma: options.gamma, lam: options.lam },
  );
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
