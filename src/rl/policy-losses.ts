/**
 * Policy losses with analytic gradients. Each returns the aggregated loss, verl's logged metrics and
 * d(loss)/d(log πθ) per token, so any backend that can back-propagate Σ g_{i,t}·log πθ(x_{i,t}) trains with it.
 * Per-token formulas follow `verl/trainer/ppo/core_algos.py`; at ties of max/min the gradient is split
 * evenly, as PyTorch's `maximum`/`minimum` do; clamps pass the gradient inside their closed range.
 */
import { InputError } from "../core/errors.js";
import { aggregationRowWeights } from "./loss-aggregation.js";
import {
  DEFAULT_POLICY_LOSS_CONFIG,
  type PolicyLossConfig,
  type PolicyLossInput,
  type PolicyLossOutput,
} from "./policy-loss-types.js";
import { assertShape } from "./tensor.js";

const LOG_RATIO_LIMIT = 20;

function resolveConfig(config: Partial<PolicyLossConfig>): PolicyLossConfig & { low: number; high: number } {
  const merged = { ...DEFAULT_POLICY_LOSS_CONFIG, ...config };
  const low = merged.clipRatioLow ?? merged.clipRatio;
  const high = merged.clipRatioHigh ?? merged.clipRatio;
  if (!(low >= 0 && low < 1)) throw new InputError(`clip_ratio_low must be in [0, 1), got ${low}`);
  if (!(high >= 0)) throw new InputError(`clip_ratio_high must be ≥ 0, got ${high}`);
  return { ...merged, low, high };
}

function checkInput(input: PolicyLossInput): void {
  assertShape("old_log_prob", input.oldLogProb, input);
  assertShape("log_prob", input.logProb, input);
  assertShape("advantages", input.advantages, input);
  assertShape("response_mask", input.responseMask, input);
  if (input.rolloutIsWeights) assertShape("rollout_is_weights", input.rolloutIsWeights, input);
}

/**
 * `vanilla`: PPO clip (arXiv 1707.06347) with decoupled clip ranges (DAPO clip-higher) and dual clip
 * (arXiv 1912.09729): ℓ1 = −Aρ, ℓ2 = −A·clip(ρ, 1−ε_low, 1+ε_high), ℓc = max(ℓ1, ℓ2),
 * ℓ = A < 0 ? min(ℓc, −cA) : ℓc, with ρ = exp(clamp(log πθ − log π_old, −20, 20)).
 */
export function computeVanillaPolicyLoss(
  input: PolicyLossInput,
  config: Partial<PolicyLossConfig> = {},
): PolicyLossOutput {
  checkInput(input);
  const { low, high, clipRatioC, lossAggMode, aggregation } = resolveConfig(config);
  if (!(clipRatioC > 1)) throw new InputError(`clip_ratio_c (dual clip) must be greater than 1, got ${clipRatioC}`);
  const { rows, columns, oldLogProb, logProb, advantages, responseMask: mask, rolloutIsWeights } = input;
  const rowWeights = aggregationRowWeights(mask, input, { ...aggregation, mode: lossAggMode });
  const gradLogProb = new Float64Array(rows * columns);
  const lower = 1 - low;
  const upper = 1 + high;
  let loss = 0;
  let tokens = 0;
  let clipped = 0;
  let dualClipped = 0;
  let klSum = 0;
  for (let i = 0; i < rows; i++) {
    const weight = rowWeights[i] as number;
    const base = i * columns;
    for (let t = 0; t < columns; t++) {
      const k = base + t;
      const m = mask[k] as number;
      if (m === 0) continue;
      const advantage = advantages[k] as number;
      let logRatio = (logProb[k] as number) - (oldLogProb[k] as number);
      let ratioSlope = 1;
      if (logRatio > LOG_RATIO_LIMIT || logRatio < -LOG_RATIO_LIMIT) {
        logRatio = logRatio > 0 ? LOG_RATIO_LIMIT : -LOG_RATIO_LIMIT;
        ratioSlope = 0;
      }
      const ratio = Math.exp(logRatio);
      const dRatio = ratio * ratioSlope;
      const loss1 = -advantage * ratio;
      const inRange = ratio >= lower && ratio <= upper;
      const loss2 = -advantage * (inRange ? ratio : ratio < lower ? lower : upper);
      const grad1 = -advantage * dRatio;
      const grad2 = inRange ? grad1 : 0;
      let tokenLoss: number;
      let tokenGrad: number;
      if (loss1 > loss2) {
        tokenLoss = loss1;
        tokenGrad = grad1;
      } else if (loss2 > loss1) {
        tokenLoss = loss2;
        tokenGrad = grad2;
        clipped += m;
      } else {
        tokenLoss = loss1;
        tokenGrad = 0.5 * (grad1 + grad2);
      }
      if (advantage < 0) {
        const loss3 = -clipRatioC * advantage;
        if (tokenLoss > loss3) {
          tokenLoss = loss3;
          tokenGrad = 0;
          dualClipped += m;
        } else if (tokenLoss === loss3) {
          tokenGrad *= 0.5;
        }
      }
      const isWeight = rolloutIsWeights ? (rolloutIsWeights[k] as number) : 1;
      loss += weight * m * isWeight * tokenLoss;
      gradLogProb[k] = weight * m * isWeight * tokenGrad;
      tokens += m;
      klSum -= logRatio * m;
    }
  }
  const denominator = tokens + 1e-8;
  return {
    loss,
    metrics: {
      pg_clipfrac: clipped / denominator,
      ppo_kl: klSum / denominator,
      pg_clipfrac_lower: dualClipped / denominator,
    },
    gradLogProb,
  };
}

/**
 * `gspo` (sequence-level ratio): log s_i = Σ_t m(log πθ − log π_old)/|o_i|; token ratio
 * exp(min(sg(log s_i) + log πθ,t − sg(log πθ,t), 10)); same clipped form as PPO without dual clip;
 * always aggregated `seq-mean-token-mean` (verl `compute_policy_loss_gspo`).
 */
export function computeGspoPolicyLoss(
  input: PolicyLossInput,
  config: Partial<PolicyLossConfig> = {},
): PolicyLossOutput {
  checkInput(input);
  const { low, high, aggregation } = resolveConfig(config);
  const { rows, columns, oldLogProb, logProb, advantages, responseMask: mask, rolloutIsWeights } = input;
  const rowWeights = aggregationRowWeights(mask, input, { ...aggregation, mode: "seq-mean-token-mean" });
  const gradLogProb = new Float64Array(rows * columns);
  let loss = 0;
  let tokens = 0;
  let clipped = 0;
  let klSum = 0;
  for (let i = 0; i < rows; i++) {
    const base = i * columns;
    let sum = 0;
    let length = 0;
    for (let t = 0; t < columns; t++) {
      const m = mask[base + t] as number;
      if (m === 0) continue;
      sum += ((logProb[base + t] as number) - (oldLogProb[base + t] as number)) * m;
      length += m;
    }
    const sequenceLogRatio = sum / Math.max(length, 1);
    const capped = sequenceLogRatio > 10;
    const ratio = Math.exp(capped ? 10 : sequenceLogRatio);
    const dRatio = capped ? 0 : ratio;
    const weight = rowWeights[i] as number;
    for (let t = 0; t < columns; t++) {
      const k = base + t;
      const m = mask[k] as number;
      if (m === 0) continue;
      const advantage = advantages[k] as number;
      const loss1 = -advantage * ratio;
      const inRange = ratio >= 1 - low && ratio <= 1 + high;
      const loss2 = -advantage * Math.min(Math.max(ratio, 1 - low), 1 + high);
      const grad1 = -advantage * dRatio;
      const grad2 = inRange ? grad1 : 0;
      const tokenLoss = Math.max(loss1, loss2);
      const tokenGrad = loss1 > loss2 ? grad1 : loss2 > loss1 ? grad2 : 0.5 * (grad1 + grad2);
      if (loss2 > loss1) clipped += m;
      const isWeight = rolloutIsWeights ? (rolloutIsWeights[k] as number) : 1;
      loss += weight * m * isWeight * tokenLoss;
      gradLogProb[k] = weight * m * isWeight * tokenGrad;
      tokens += m;
      klSum -= ((logProb[k] as number) - (oldLogProb[k] as number)) * m;
    }
  }
  const denominator = tokens + 1e-8;
  return {
    loss,
    metrics: { pg_clipfrac: clipped / denominator, ppo_kl: klSum / denominator, pg_clipfrac_lower: 0 },
    gradLogProb,
  };
}

/**
 * `cispo` (arXiv 2506.13585): ℓ = −sg(clip(ρ, 1−ε_low, 1+ε_high))·A·log πθ, so d ℓ/d log πθ = −clip(ρ)·A.
 * pg_clipfrac is the fraction of tokens whose ratio was clipped; pg_clipfrac_lower the part below 1−ε_low.
 */
export function computeCispoPolicyLoss(
  input: PolicyLossInput,
  config: Partial<PolicyLossConfig> = {},
): PolicyLossOutput {
  checkInput(input);
  const { low, high, lossAggMode, aggregation } = resolveConfig(config);
  const { rows, columns, oldLogProb, logProb, advantages, responseMask: mask, rolloutIsWeights } = input;
  const rowWeights = aggregationRowWeights(mask, input, { ...aggregation, mode: lossAggMode });
  const gradLogProb = new Float64Array(rows * columns);
  let loss = 0;
  let tokens = 0;
  let clipped = 0;
  let clippedLow = 0;
  let klSum = 0;
  for (let i = 0; i < rows; i++) {
    const weight = rowWeights[i] as number;
    const base = i * columns;
    for (let t = 0; t < columns; t++) {
      const k = base + t;
      const m = mask[k] as number;
      if (m === 0) continue;
      const logRatio = Math.min(Math.max((logProb[k] as number) - (oldLogProb[k] as number), -20), 20);
      const ratio = Math.exp(logRatio);
      const clippedRatio = Math.min(Math.max(ratio, 1 - low), 1 + high);
      if (clippedRatio !== ratio) clipped += m;
      if (ratio < 1 - low) clippedLow += m;
      const advantage = advantages[k] as number;
      const isWeight = rolloutIsWeights ? (rolloutIsWeights[k] as number) : 1;
      loss += weight * m * isWeight * -clippedRatio * advantage * (logProb[k] as number);
      gradLogProb[k] = weight * m * isWeight * -clippedRatio * advantage;
      tokens += m;
      klSum -= logRatio * m;
    }
  }
  const denominator = tokens + 1e-8;
  return {
    loss,
    metrics: {
      pg_clipfrac: clipped / denominator,
      ppo_kl: klSum / denominator,
      pg_clipfrac_lower: clippedLow / denominator,
    },
    gradLogProb,
  };
}

/** `gpg`: ℓ = −A·log πθ (no ratio, no clip), so d ℓ/d log πθ = −A. Pair with the `gpg` estimator. */
export function computeGpgPolicyLoss(input: PolicyLossInput, config: Partial<PolicyLossConfig> = {}): PolicyLossOutput {
  checkInput(input);
  const { lossAggMode, aggregation } = resolveConfig(config);
  const { rows, columns, oldLogProb, logProb, advantages, responseMask: mask, rolloutIsWeights } = input;
  const rowWeights = aggregationRowWeights(mask, input, { ...aggregation, mode: lossAggMode });
  const gradLogProb = new Float64Array(rows * columns);
  let loss = 0;
  let tokens = 0;
  let klSum = 0;
  for (let i = 0; i < rows; i++) {
    const weight = rowWeights[i] as number;
    const base = i * columns;
    for (let t = 0; t < columns; t++) {
      const k = base + t;
      const m = mask[k] as number;
      if (m === 0) continue;
      const advantage = advantages[k] as number;
      const isWeight = rolloutIsWeights ? (rolloutIsWeights[k] as number) : 1;
      loss += weight * m * isWeight * -advantage * (logProb[k] as number);
      gradLogProb[k] = weight * m * isWeight * -advantage;
      tokens += m;
      klSum -= ((logProb[k] as number) - (oldLogProb[k] as number)) * m;
    }
  }
  return { loss, metrics: { pg_clipfrac: 0, ppo_kl: klSum / (tokens + 1e-8), pg_clipfrac_lower: 0 }, gradLogProb };
}

/**
 * `importance_sampling` (Tinker cookbook): ℓ = −ρ·A with no clip, ρ = exp(log πθ − log π_old);
 * Tinker sums it (`loss_agg_mode: seq-mean-token-sum` with one sequence, or pass a loss scale factor).
 */
export function computeImportanceSamplingPolicyLoss(
  input: PolicyLossInput,
  config: Partial<PolicyLossConfig> = {},
): PolicyLossOutput {
  checkInput(input);
  const { lossAggMode, aggregation } = resolveConfig(config);
  const { rows, columns, oldLogProb, logProb, advantages, responseMask: mask, rolloutIsWeights } = input;
  const rowWeights = aggregationRowWeights(mask, input, { ...aggregation, mode: lossAggMode });
  const gradLogProb = new Float64Array(rows * columns);
  let loss = 0;
  let tokens = 0;
  let klSum = 0;
  for (let i = 0; i < rows; i++) {
    const weight = rowWeights[i] as number;
    const base = i * columns;
    for (let t = 0; t < columns; t++) {
      const k = base + t;
      const m = mask[k] as number;
      if (m === 0) continue;
      const raw = (logProb[k] as number) - (oldLogProb[k] as number);
      const logRatio = Math.min(Math.max(raw, -LOG_RATIO_LIMIT), LOG_RATIO_LIMIT);
      const ratio = Math.exp(logRatio);
      const dRatio = logRatio === raw ? ratio : 0;
      const advantage = advantages[k] as number;
      const isWeight = rolloutIsWeights ? (rolloutIsWeights[k] as number) : 1;
      loss += weight * m * isWeight * -advantage * ratio;
      gradLogProb[k] = weight * m * isWeight * -advantage * dRatio;
      tokens += m;
      klSum -= logRatio * m;
    }
  }
  return { loss, metrics: { pg_clipfrac: 0, ppo_kl: klSum / (tokens + 1e-8), pg_clipfrac_lower: 0 }, gradLogProb };
}
