/**
 * Shapes and masked statistics for RL batches. A batch is `rows` responses × `columns` token positions,
 * stored row-major in flat typed arrays (position (i, t) is at `i * columns + t`). Masks hold 1 for tokens
 * sampled from the policy and 0 for padding and observation (tool) tokens.
 *
 * The statistics follow `verl/utils/torch_functional.py` exactly (including its `+ 1e-8` guards), so
 * results can be compared with verl number for number.
 */
import { InputError } from "../core/errors.js";

/** Any flat numeric array: typed arrays or plain number arrays. */
export type NumberArray = ArrayLike<number>;

export interface BatchShape {
  /** Number of responses (batch size B). */
  rows: number;
  /** Padded response length T. */
  columns: number;
}

/** Throw a clear error unless `array` holds exactly rows × columns numbers. */
export function assertShape(name: string, array: NumberArray, shape: BatchShape): void {
  const expected = shape.rows * shape.columns;
  if (array.length !== expected) {
    throw new InputError(
      `${name} has ${array.length} values but the batch is ${shape.rows}×${shape.columns} = ${expected}; give one value per response token`,
    );
  }
}

/** Throw unless `array` holds one number per row. */
export function assertRows(name: string, array: NumberArray | readonly unknown[], rows: number): void {
  if (array.length !== rows) {
    throw new InputError(
      `${name} has ${array.length} entries but the batch has ${rows} responses; give one per response`,
    );
  }
}

/** Σ m·x. */
export function maskedSum(values: NumberArray, mask: NumberArray): number {
  let sum = 0;
  for (let k = 0; k < values.length; k++) sum += (values[k] as number) * (mask[k] as number);
  return sum;
}

/** Σ m. */
export function maskSum(mask: NumberArray): number {
  let sum = 0;
  for (let k = 0; k < mask.length; k++) sum += mask[k] as number;
  return sum;
}

/** verl `masked_mean`: Σ m·x / (Σ m + 1e-8). */
export function maskedMean(values: NumberArray, mask: NumberArray): number {
  return maskedSum(values, mask) / (maskSum(mask) + 1e-8);
}

/** Σ m·x and Σ m in one pass. */
function maskedSumAndCount(values: NumberArray, mask: NumberArray): { sum: number; count: number } {
  let sum = 0;
  let count = 0;
  for (let k = 0; k < values.length; k++) {
    const m = mask[k] as number;
    if (m === 0) continue;
    sum += (values[k] as number) * m;
    count += m;
  }
  return { sum, count };
}

function varianceAround(
  values: NumberArray,
  mask: NumberArray,
  mean: number,
  count: number,
  unbiased: boolean,
): number {
  let sum = 0;
  for (let k = 0; k < values.length; k++) {
    const m = mask[k] as number;
    if (m === 0) continue;
    const centred = (values[k] as number) - mean;
    sum += centred * centred * m;
  }
  let variance = sum / (count + 1e-8);
  if (unbiased) {
    if (count === 0) throw new InputError("whitening needs at least one valid token, but the response mask is all 0");
    if (count === 1) {
      throw new InputError(
        "whitening needs at least two valid tokens (the unbiased variance divides by N−1), but the mask has one",
      );
    }
    variance *= count / (count - 1);
  }
  return variance;
}

/**
 * verl `masked_var` (unbiased): masked mean of squared deviations times N/(N−1). Throws when N ≤ 1,
 * as verl does, because the Bessel factor is undefined.
 */
export function maskedVariance(values: NumberArray, mask: NumberArray, unbiased = true): number {
  const { sum, count } = maskedSumAndCount(values, mask);
  return varianceAround(values, mask, sum / (count + 1e-8), count, unbiased);
}

/** verl `masked_whiten`: (x − μ_m)/√(σ²_m + 1e-8) over the whole batch. Unmasked positions are transformed too. */
export function maskedWhiten(values: NumberArray, mask: NumberArray, shiftMean = true): Float64Array {
  const { sum, count } = maskedSumAndCount(values, mask);
  const mean = sum / (count + 1e-8);
  const variance = varianceAround(values, mask, mean, count, true);
  const scale = 1 / Math.sqrt(variance + 1e-8);
  const shift = shiftMean ? 0 : mean;
  const out = new Float64Array(values.length);
  for (let k = 0; k < values.length; k++) out[k] = ((values[k] as number) - mean) * scale + shift;
  return out;
}

/** Number of valid tokens per row (Σ_t m_{i,t}). */
export function rowMaskSums(mask: NumberArray, shape: BatchShape): Float64Array {
  const out = new Float64Array(shape.rows);
  for (let i = 0; i < shape.rows; i++) {
    let sum = 0;
    const base = i * shape.columns;
    for (let t = 0; t < shape.columns; t++) sum += mask[base + t] as number;
    out[i] = sum;
  }
  return out;
}

/** Per-row sums of `values` (verl sums token rewards without the mask: R_i = Σ_t r_{i,t}). */
export function rowSums(values: NumberArray, shape: BatchShape): Float64Array {
  const out = new Float64Array(shape.rows);
  for (let i = 0; i < shape.rows; i++) {
    let sum = 0;
    const base = i * shape.columns;
    for (let t = 0; t < shape.columns; t++) sum += values[base + t] as number;
    out[i] = sum;
  }
  return out;
}

/** Broadcast one scalar per row over its valid tokens: out_{i,t} = s_i · m_{i,t}. */
export function broadcastRows(scalars: NumberArray, mask: NumberArray, shape: BatchShape): Float64Array {
  const out = new Float64Array(shape.rows * shape.columns);
  for (let i = 0; i < shape.rows; i++) {
    const value = scalars[i] as number;
    const base = i * shape.columns;
    for (let t = 0; t < shape.columns; t++) out[base + t] = value * (mask[base + t] as number);
  }
  return out;
}

/** Row indices grouped by their `index` (prompt uid), in first-seen order. */
export function groupRows(index: readonly (string | number)[]): Map<string | number, number[]> {
  const groups = new Map<string | number, number[]>();
  for (let i = 0; i < index.length; i++) {
    const key = index[i] as string | number;
    const rows = groups.get(key);
    if (rows) rows.push(i);
    else groups.set(key, [i]);
  }
  return groups;
}

/** Mean and unbiased std (torch.std) of the selected entries; a single entry has std NaN (torch behaviour). */
export function meanAndStd(values: NumberArray, rows: readonly number[]): { mean: number; std: number } {
  let sum = 0;
  for (const i of rows) sum += values[i] as number;
  const mean = sum / rows.length;
  if (rows.length < 2) return { mean, std: Number.NaN };
  let squares = 0;
  for (const i of rows) {
    const centred = (values[i] as number) - mean;
    squares += centred * centred;
  }
  return { mean, std: Math.sqrt(squares / (rows.length - 1)) };
}
