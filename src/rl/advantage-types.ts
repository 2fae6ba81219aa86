/** The contract every advantage estimator implements (verl `algorithm.adv_estimator`). */
import type { BatchShape, NumberArray } from "./tensor.js";

export interface AdvantageInput extends BatchShape {
  /** r_{i,t}: outcome score on the last model token, plus any per-token shaping (KL in reward). */
  tokenLevelRewards: NumberArray;
  /** m_{i,t}: 1 for policy-sampled tokens, 0 for padding and observation tokens. */
  responseMask: NumberArray;
  /** Group id (prompt uid) per row; required by the group estimators. */
  index?: readonly (string | number)[];
  /** Critic values V_{i,t}; required by `gae`. */
  values?: NumberArray;
  /** Reward of a greedy rollout per row; required by `remax`. */
  rewardBaselines?: NumberArray;
}

export interface AdvantageConfig {
  /** Discount γ (`algorithm.gamma`), default 1. */
  gamma: number;
  /** GAE λ (`algorithm.lam`), default 1. */
  lam: number;
  /** Divide GRPO advantages by the group std (`algorithm.norm_adv_by_std_in_grpo`), default true. */
  normAdvByStdInGrpo: boolean;
  /** ε added to the group std, default 1e-6. */
  epsilon: number;
}

export const DEFAULT_ADVANTAGE_CONFIG: AdvantageConfig = {
  gamma: 1,
  lam: 1,
  normAdvByStdInGrpo: true,
  epsilon: 1e-6,
};

export interface AdvantageOutput {
  /** A_{i,t}, row-major [rows × columns]. */
  advantages: Float64Array;
  /** Returns (critic targets for `gae`; equal to the advantages for outcome estimators, as in verl). */
  returns: Float64Array;
}

export interface AdvantageEstimator {
  /** verl name, e.g. `grpo`. */
  name: string;
  /** One-line formula for docs and `--help`. */
  formula: string;
  /** Inputs beyond rewards and mask that the estimator needs. */
  needs: ReadonlyArray<"index" | "values" | "rewardBaselines">;
  compute(input: AdvantageInput, config?: Partial<AdvantageConfig>): AdvantageOutput;
}
