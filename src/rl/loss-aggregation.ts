/**
 * Loss aggregation (verl `agg_loss`, `actor.loss_agg_mode`). Every mode is linear in the per-token losses,
 * so it is described by one weight per row: d(loss)/d(ℓ_{i,t}) = rowWeights[i] · m_{i,t}.
 */
import { InputError } from "../core/errors.js";
import { type BatchShape, type NumberArray, rowMaskSums } from "./tensor.js";

export const LOSS_AGG_MODES = [
  "token-mean",
  "seq-mean-token-sum",
  "seq-mean-token-mean",
  "seq-mean-token-sum-norm",
] as const;
export type LossAggMode = (typeof LOSS_AGG_MODES)[number];

export interface AggregationOptions {
  mode: LossAggMode;
  /** Valid-token count of the global mini-batch (token-mean); defaults to the local count. */
  globalTokenCount?: number;
  /** Sequence count of the global mini-batch (seq-* modes); defaults to the local count of non-empty rows. */
  globalSequenceCount?: number;
  /** Data-parallel size, multiplied in to cancel data-parallel averaging (default 1). */
  dpSize?: number;
  /** C of seq-mean-token-sum-norm (`loss_scale_factor`); defaults to the padded length T. */
  lossScaleFactor?: number;
}

export function assertLossAggMode(mode: string): asserts mode is LossAggMode {
  if (!(LOSS_AGG_MODES as readonly string[]).includes(mode)) {
    throw new InputError(`unknown loss_agg_mode "${mode}"; known: ${LOSS_AGG_MODES.join(", ")}`);
  }
}

/** The per-row weights w_i with loss = Σ_{i,t} w_i·m_{i,t}·ℓ_{i,t}. */
export function aggregationRowWeights(mask: NumberArray, shape: BatchShape, options: AggregationOptions): Float64Array {
  assertLossAggMode(options.mode);
  const dpSize = options.dpSize ?? 1;
  const lengths = rowMaskSums(mask, shape);
  const weights = new Float64Array(shape.rows);
  if (options.mode === "token-mean") {
    let tokens = 0;
    for (const length of lengths) tokens += length;
    const denominator = options.globalTokenCount ?? tokens;
    weights.fill(denominator > 0 ? dpSize / denominator : 0);
    return weights;
  }
  if (options.mode === "seq-mean-token-sum-norm") {
    const scale = options.lossScaleFactor ?? shape.columns;
    weights.fill(scale > 0 ? 1 / scale : 0);
    return weights;
  }
  let sequences = 0;
  for (const length of lengths) if (length > 0) sequences += 1;
  const denominator = options.globalSequenceCount ?? sequences;
  for (let i = 0; i < shape.rows; i++) {
    const length = lengths[i] as number;
    if (length <= 0 || denominator <= 0) continue;
    weights[i] = options.mode === "seq-mean-token-sum" ? dpSize / denominator : dpSize / denominator / (length + 1e-8);
  }
  return weights;
}

/** Aggregate a per-token loss matrix; returns the scalar and the row weights (its gradient structure). */
export function aggregateLoss(
  tokenLosses: NumberArray,
  mask: NumberArray,
  shape: BatchShape,
  options: AggregationOptions,
): { value: number; rowWeights: Float64Array } {
  const rowWeights = aggregationRowWeights(mask, shape, options);
  let value = 0;
  for (let i = 0; i < shape.rows; i++) {
    const weight = rowWeights[i] as number;
    if (weight === 0) continue;
    const base = i * shape.columns;
    let sum = 0;
    for (let t = 0; t < shape.columns; t++) {
      // Skip masked positions outright so a NaN or ±∞ there (e.g. a padded logprob) cannot leak in.
      const m = mask[base + t] as number;
      if (m !== 0) sum += (tokenLosses[base + t] as number) * m;
    }
    value += weight * sum;
  }
  return { value, rowWeights };
}
