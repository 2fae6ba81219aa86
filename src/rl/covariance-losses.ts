/**
 * Covariance-based policy losses of "The Entropy Mechanism of RL for Reasoning Language Models"
 * (arXiv 2505.22617), as registered in verl (`clip_cov`, `kl_cov`). Both score each valid token by the
 * centred covariance cov_t = (A_t − mean_m A)·(log πθ,t − mean_m log πθ) and treat a small fraction of
 * high-covariance tokens specially. The selection is treated as a constant for the gradient.
 * Written from verl's code as we recall it; the reference notes do not detail these two (uncertain).
 */
import { Random } from "../core/random.js";
import { aggregationRowWeights } from "./loss-aggregation.js";
import {
  DEFAULT_POLICY_LOSS_CONFIG,
  type PolicyLossConfig,
  type PolicyLossInput,
  type PolicyLossOutput,
} from "./policy-loss-types.js";
import { assertShape } from "./tensor.js";

function validIndices(mask: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let k = 0; k < mask.length; k++) if ((mask[k] as number) !== 0) out.push(k);
  return out;
}

function covariances(input: PolicyLossInput, valid: readonly number[]): Float64Array {
  let advantageMean = 0;
  let logProbMean = 0;
  for (const k of valid) {
    advantageMean += input.advantages[k] as number;
    logProbMean += input.logProb[k] as number;
  }
  advantageMean /= Math.max(valid.length, 1);
  logProbMean /= Math.max(valid.length, 1);
  const out = new Float64Array(valid.length);
  valid.forEach((k, j) => {
    out[j] = ((input.advantages[k] as number) - advantageMean) * ((input.logProb[k] as number) - logProbMean);
  });
  return out;
}

function check(input: PolicyLossInput): void {
  for (const name of ["oldLogProb", "logProb", "advantages", "responseMask"] as const)
    assertShape(name, input[name], input);
}

/**
 * `clip_cov`: PPO clip (decoupled ranges); among tokens not already clipped whose covariance lies in
 * (lb, ub), a random max(1, ⌊ratio·N⌋) get their loss and gradient zeroed. pg_clipfrac reports that share.
 */
export function computeClipCovPolicyLoss(
  input: PolicyLossInput,
  config: Partial<PolicyLossConfig> = {},
): PolicyLossOutput {
  check(input);
  const merged = { ...DEFAULT_POLICY_LOSS_CONFIG, ...config };
  const low = merged.clipRatioLow ?? merged.clipRatio;
  const high = merged.clipRatioHigh ?? merged.clipRatio;
  const { rows, columns, oldLogProb, logProb, advantages, responseMask: mask } = input;
  const valid = validIndices(mask);
  const cov = covariances(input, valid);
  const size = rows * columns;
  const tokenLoss = new Float64Array(size);
  const tokenGrad = new Float64Array(size);
  const clippedByOrigin = new Uint8Array(size);
  let klSum = 0;
  for (const k of valid) {
    const logRatio = (logProb[k] as number) - (oldLogProb[k] as number);
    const ratio = Math.exp(logRatio);
    const advantage = advantages[k] as number;
    const loss1 = -advantage * ratio;
    const inRange = ratio >= 1 - low && ratio <= 1 + high;
    const loss2 = -advantage * Math.min(Math.max(ratio, 1 - low), 1 + high);
    const grad1 = -advantage * ratio;
    const grad2 = inRange ? grad1 : 0;
    tokenLoss[k] = Math.max(loss1, loss2);
    tokenGrad[k] = loss1 > loss2 ? grad1 : loss2 > loss1 ? grad2 : 0.5 * (grad1 + grad2);
    if (loss2 > loss1) clippedByOrigin[k] = 1;
    klSum -= logRatio;
  }
  const lower = merged.clipCovLowerBound ?? 1;
  const upper = merged.clipCovUpperBound ?? 5;
  const candidates = valid.filter(
    (k, j) => clippedByOrigin[k] === 0 && (cov[j] as number) > lower && (cov[j] as number) < upper,
  );
  const count = Math.max(Math.floor((merged.clipCovRatio ?? 0.0002) * valid.length), 1);
  const detached = new Random(merged.seed ?? 0).sample(candidates, count);
  for (const k of detached) {
    tokenLoss[k] = 0;
    tokenGrad[k] = 0;
  }
  const rowWeights = aggregationRowWeights(mask, input, { ...merged.aggregation, mode: merged.lossAggMode });
  const gradLogProb = new Float64Array(size);
  let loss = 0;
  for (const k of valid) {
    const weight = (rowWeights[Math.floor(k / columns)] as number) * (mask[k] as number);
    const isWeight = input.rolloutIsWeights ? (input.rolloutIsWeights[k] as number) : 1;
    loss += weight * isWeight * (tokenLoss[k] as number);
    gradLogProb[k] = weight * isWeight * (tokenGrad[k] as number);
  }
  const denominator = valid.length + 1e-8;
  return {
    loss,
    metrics: { pg_clipfrac: detached.length / denominator, ppo_kl: klSum / denominator, pg_clipfrac_lower: 0 },
    gradLogProb,
  };
}

/**
 * `kl_cov`: unclipped −Aρ for every token, plus ppo_kl_coef·|log ρ| on the top max(1, ⌊ratio·N⌋) tokens
 * by covariance. ppo_kl reports mean_m |log ρ| (as verl logs it).
 */
export function computeKlCovPolicyLoss(
  input: PolicyLossInput,
  config: Partial<PolicyLossConfig> = {},
): PolicyLossOutput {
  check(input);
  const merged = { ...DEFAULT_POLICY_LOSS_CONFIG, ...config };
  const coefficient = merged.ppoKlCoef ?? 1;
  const { rows, columns, oldLogProb, logProb, advantages, responseMask: mask } = input;
  const valid = validIndices(mask);
  const cov = covariances(input, valid);
  const penalised = new Uint8Array(rows * columns);
  if (valid.length > 0) {
    const count = Math.max(1, Math.floor(valid.length * (merged.klCovRatio ?? 0.0002)));
    const order = valid.map((_, j) => j).sort((a, b) => (cov[b] as number) - (cov[a] as number));
    for (const j of order.slice(0, count)) penalised[valid[j] as number] = 1;
  }
  const rowWeights = aggregationRowWeights(mask, input, { ...merged.aggregation, mode: merged.lossAggMode });
  const gradLogProb = new Float64Array(rows * columns);
  let loss = 0;
  let absKl = 0;
  for (const k of valid) {
    const logRatio = (logProb[k] as number) - (oldLogProb[k] as number);
    const ratio = Math.exp(logRatio);
    const advantage = advantages[k] as number;
    let tokenLoss = -advantage * ratio;
    let tokenGrad = -advantage * ratio;
    if (penalised[k] === 1) {
      tokenLoss += coefficient * Math.abs(logRatio);
      tokenGrad += coefficient * Math.sign(logRatio);
    }
    const weight = (rowWeights[Math.floor(k / columns)] as number) * (mask[k] as number);
    const isWeight = input.rolloutIsWeights ? (input.rolloutIsWeights[k] as number) : 1;
    loss += weight * isWeight * tokenLoss;
    gradLogProb[k] = weight * isWeight * tokenGrad;
    absKl += Math.abs(logRatio);
  }
  return {
    loss,
    metrics: { pg_clipfrac: 0, ppo_kl: absKl / (valid.length + 1e-8), pg_clipfrac_lower: 0 },
    gradLogProb,
  };
}
