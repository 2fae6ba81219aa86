/**
 * KL estimators between the policy and a reference (verl `kl_penalty`), their analytic gradients with
 * respect to log π, and the two placements: as a loss term (`actor.use_kl_loss`) or as a per-token reward
 * penalty (`algorithm.use_kl_in_reward`) with a fixed or adaptive coefficient (arXiv 1909.08593).
 * Reference: J. Schulman, "Approximating KL divergence".
 */
import { InputError } from "../core/errors.js";
import { type AggregationOptions, aggregationRowWeights } from "./loss-aggregation.js";
import { assertShape, type BatchShape, type NumberArray } from "./tensor.js";

export const KL_TYPES = ["kl", "k1", "abs", "mse", "k2", "low_var_kl", "k3", "k1+", "k3+"] as const;
export type KlType = (typeof KL_TYPES)[number];

export function assertKlType(type: string): asserts type is KlType {
  if (type === "full") throw new InputError('kl type "full" is not implemented (verl does not implement it either)');
  if (!(KL_TYPES as readonly string[]).includes(type)) {
    throw new InputError(`unknown KL type "${type}"; known: ${KL_TYPES.join(", ")}`);
  }
}

/** The forward value and d/d(log π) of one token's KL estimate; ℓ = log π − log π_ref. */
export function klToken(logProb: number, refLogProb: number, type: KlType): { value: number; grad: number } {
  const difference = logProb - refLogProb;
  switch (type) {
    case "kl":
    case "k1":
      return { value: difference, grad: 1 };
    case "abs":
      return { value: Math.abs(difference), grad: Math.sign(difference) };
    case "mse":
    case "k2":
      return { value: 0.5 * difference * difference, grad: difference };
    case "low_var_kl":
    case "k3":
      return lowVarianceKl(logProb, refLogProb);
    case "k1+":
      return { value: difference, grad: difference };
    case "k3+":
      return { value: lowVarianceKl(logProb, refLogProb).value, grad: difference };
  }
}

/** k3: x = clamp(log π_ref − log π, −20, 20); eˣ − x − 1 clamped to [−10, 10]. */
function lowVarianceKl(logProb: number, refLogProb: number): { value: number; grad: number } {
  const raw = refLogProb - logProb;
  const x = Math.min(Math.max(raw, -20), 20);
  const exp = Math.exp(x);
  const value = exp - x - 1;
  const clamped = Math.min(Math.max(value, -10), 10);
  const passes = x === raw && clamped === value;
  return { value: clamped, grad: passes ? 1 - exp : 0 };
}

/** Per-token KL estimates (all positions; callers mask). */
export function klPenalty(logProb: NumberArray, refLogProb: NumberArray, type: KlType): Float64Array {
  assertKlType(type);
  const out = new Float64Array(logProb.length);
  for (let k = 0; k < logProb.length; k++) out[k] = klToken(logProb[k] as number, refLogProb[k] as number, type).value;
  return out;
}

export interface KlLossOutput {
  /** agg(KL_est, m), before multiplying by the coefficient. */
  value: number;
  /** d value / d log π per token (0 on masked tokens); with `fused`, base + scale · d value / d log π on valid tokens. */
  gradLogProb: Float64Array;
}

/** Integer codes so the hot loop switches on a small integer instead of allocating per token. */
const KL_CODES: Record<KlType, number> = {
  kl: 0,
  k1: 0,
  abs: 1,
  mse: 2,
  k2: 2,
  low_var_kl: 3,
  k3: 3,
  "k1+": 4,
  "k3+": 5,
};

/**
 * The KL loss term agg(KL_est(log π, log π_ref), m) and its gradient. With `fused`, the returned gradient is
 * `fused.base + fused.scale · dKL/dlog π` (one pass instead of two when adding it to a policy gradient).
 */
export function computeKlLoss(
  input: BatchShape & { logProb: NumberArray; refLogProb: NumberArray; responseMask: NumberArray },
  type: KlType,
  aggregation: AggregationOptions,
  fused?: { base: Float64Array; scale: number },
): KlLossOutput {
  assertKlType(type);
  assertShape("log_prob", input.logProb, input);
  assertShape("ref_log_prob", input.refLogProb, input);
  const { rows, columns, logProb, refLogProb, responseMask: mask } = input;
  const code = KL_CODES[type];
  const rowWeights = aggregationRowWeights(mask, input, aggregation);
  // Masked positions of a policy gradient are 0, so only valid tokens need base + scale·g (no full copy).
  const gradLogProb = new Float64Array(rows * columns);
  const baseGrad = fused?.base;
  const scale = fused ? fused.scale : 1;
  let value = 0;
  for (let i = 0; i < rows; i++) {
    const weight = rowWeights[i] as number;
    const base = i * columns;
    let rowValue = 0;
    for (let t = 0; t < columns; t++) {
      const k = base + t;
      const m = mask[k] as number;
      if (m === 0) continue;
      const difference = (logProb[k] as number) - (refLogProb[k] as number);
      let tokenValue: number;
      let tokenGrad: number;
      if (code === 3 || code === 5) {
        const raw = -difference;
        const x = Math.min(Math.max(raw, -20), 20);
        const exp = Math.exp(x);
        const k3 = exp - x - 1;
        tokenValue = Math.min(Math.max(k3, -10), 10);
        tokenGrad = code === 5 ? difference : x === raw && tokenValue === k3 ? 1 - exp : 0;
      } else if (code === 0) {
        tokenValue = difference;
        tokenGrad = 1;
      } else if (code === 2) {
        tokenValue = 0.5 * difference * difference;
        tokenGrad = difference;
      } else if (code === 1) {
        tokenValue = Math.abs(difference);
        tokenGrad = Math.sign(difference);
      } else {
        tokenValue = difference;
        tokenGrad = difference;
      }
      rowValue += m * tokenValue;
      gradLogProb[k] = (baseGrad ? (baseGrad[k] as number) : 0) + scale * weight * m * tokenGrad;
    }
    value += weight * rowValue;
  }
  return { value, gradLogProb };
}

export interface KlInRewardOutput {
  /** r_{i,t} − β·KL_est(log π_old, log π_ref)·m_{i,t}. */
  tokenLevelRewards: Float64Array;
  /** Batch mean of the per-sequence masked-mean KL (what the adaptive controller consumes). */
  currentKl: number;
}

/** verl `apply_kl_penalty`: subtract β·KL from every valid token's reward. */
export function applyKlPenalty(
  input: BatchShape & {
    tokenLevelScores: NumberArray;
    oldLogProb: NumberArray;
    refLogProb: NumberArray;
    responseMask: NumberArray;
  },
  coefficient: number,
  type: KlType = "kl",
): KlInRewardOutput {
  assertKlType(type);
  for (const name of ["tokenLevelScores", "oldLogProb", "refLogProb", "responseMask"] as const) {
    assertShape(name, input[name], input);
  }
  const { rows, columns, tokenLevelScores, oldLogProb, refLogProb, responseMask: mask } = input;
  const tokenLevelRewards = new Float64Array(rows * columns);
  let sequenceKlSum = 0;
  for (let i = 0; i < rows; i++) {
    const base = i * columns;
    let sum = 0;
    let count = 0;
    for (let t = 0; t < columns; t++) {
      const k = base + t;
      const m = mask[k] as number;
      const kl = m === 0 ? 0 : klToken(oldLogProb[k] as number, refLogProb[k] as number, type).value * m;
      tokenLevelRewards[k] = (tokenLevelScores[k] as number) - coefficient * kl;
      sum += kl;
      count += m;
    }
    sequenceKlSum += sum / (count + 1e-8);
  }
  return { tokenLevelRewards, currentKl: rows > 0 ? sequenceKlSum / rows : 0 };
}

/** A KL coefficient controller (`algorithm.kl_ctrl`). */
export interface KlController {
  readonly value: number;
  update(currentKl: number, steps: number): void;
}

/** `kl_ctrl.type: fixed`: β stays at `kl_coef`. */
export class FixedKlController implements KlController {
  constructor(readonly value: number) {}
  update(): void {}
}

/** `kl_ctrl.type: adaptive`: β ← β·(1 + clip(KL/target − 1, −0.2, 0.2)·steps/horizon). */
export class AdaptiveKlController implements KlController {
  private coefficient: number;

  constructor(
    initialCoefficient: number,
    readonly targetKl = 0.1,
    readonly horizon = 10000,
  ) {
    if (!(targetKl > 0)) throw new InputError(`kl_ctrl.target_kl must be positive, got ${targetKl}`);
    if (!(horizon > 0)) throw new InputError(`kl_ctrl.horizon must be positive, got ${horizon}`);
    this.coefficient = initialCoefficient;
  }

  get value(): number {
    return this.coefficient;
  }

  update(currentKl: number, steps: number): void {
    const error = Math.min(Math.max(currentKl / this.targetKl - 1, -0.2), 0.2);
    this.coefficient *= 1 + (error * steps) / this.horizon;
  }
}
