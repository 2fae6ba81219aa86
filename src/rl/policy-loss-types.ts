/** The contract every policy loss implements (verl `actor.policy_loss.loss_mode`). */
import type { AggregationOptions, LossAggMode } from "./loss-aggregation.js";
import type { BatchShape, NumberArray } from "./tensor.js";

export interface PolicyLossInput extends BatchShape {
  /** log π_old per token (sampler or recomputed); observation positions hold 0. */
  oldLogProb: NumberArray;
  /** log πθ per token under the current policy (the quantity the gradient is taken with respect to). */
  logProb: NumberArray;
  /** A_{i,t} from an advantage estimator. */
  advantages: NumberArray;
  /** m_{i,t}: 1 for policy-sampled tokens; 0 tokens get no loss and no gradient. */
  responseMask: NumberArray;
  /** Optional per-token rollout importance weights multiplied into the per-token loss (treated as constants). */
  rolloutIsWeights?: NumberArray;
}

export interface PolicyLossConfig {
  /** `clip_ratio`, default 0.2; the default of both low and high. */
  clipRatio: number;
  /** `clip_ratio_low` ε_low (DAPO clip-higher keeps 0.2). */
  clipRatioLow?: number;
  /** `clip_ratio_high` ε_high (DAPO uses 0.28). */
  clipRatioHigh?: number;
  /** Dual-clip constant `clip_ratio_c`, default 3 (must be > 1). */
  clipRatioC: number;
  lossAggMode: LossAggMode;
  /** `clip_cov`: fraction of valid tokens whose gradient is detached (`clip_cov_ratio`, default 0.0002). */
  clipCovRatio?: number;
  /** `clip_cov`: covariance window (`clip_cov_lb` 1.0, `clip_cov_ub` 5.0) for detachable tokens. */
  clipCovLowerBound?: number;
  clipCovUpperBound?: number;
  /** `kl_cov`: fraction of valid tokens (highest covariance) that get the |log ρ| penalty (`kl_cov_ratio`, 0.0002). */
  klCovRatio?: number;
  /** `kl_cov`: coefficient of the |log ρ| penalty (`ppo_kl_coef`, default 1). */
  ppoKlCoef?: number;
  /** Seed of `clip_cov`'s random choice among candidate tokens (default 0). */
  seed?: number;
  /** Extra aggregation settings (global token/sequence counts, dp size, loss scale factor). */
  aggregation?: Omit<AggregationOptions, "mode">;
}

export const DEFAULT_POLICY_LOSS_CONFIG: PolicyLossConfig = {
  clipRatio: 0.2,
  clipRatioC: 3,
  lossAggMode: "token-mean",
};

export interface PolicyLossMetrics {
  /** mean_m[ℓ2 > ℓ1]: fraction of tokens where the clipped term is active. */
  pg_clipfrac: number;
  /** mean_m(log π_old − log πθ). */
  ppo_kl: number;
  /** mean_m[(ℓc > −cA) ∧ (A < 0)]: fraction where the dual clip is active. */
  pg_clipfrac_lower: number;
}

export interface PolicyLossOutput {
  /** The aggregated policy-gradient loss L_pg. */
  loss: number;
  metrics: PolicyLossMetrics;
  /** d L_pg / d log πθ per token (0 on masked tokens), row-major. */
  gradLogProb: Float64Array;
}

export interface PolicyLoss {
  /** verl name, e.g. `vanilla`. */
  name: string;
  formula: string;
  compute(input: PolicyLossInput, config?: Partial<PolicyLossConfig>): PolicyLossOutput;
}
