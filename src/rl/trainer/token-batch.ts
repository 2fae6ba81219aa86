/**
 * Flat verl-style batch arrays from trajectories' token views: one row per trajectory, response tokens
 * only, mask 1 for model tokens and 0 for observation tokens and padding, the outcome score on the
 * last model token (rl-algorithms.md §6). `sequences` keeps prompt + response ids for the policy.
 */
import { TrainingError } from "../../core/errors.js";
import { flattenTokens, type Trajectory } from "../../core/trajectory.js";

export interface TokenBatch {
  rows: number;
  columns: number;
  /** prompt ++ response ids per row. */
  sequences: number[][];
  promptLengths: number[];
  responseLengths: number[];
  responseMask: Float64Array;
  /** The mask the loss uses: equals responseMask unless observation masking is switched off (ablation). */
  lossMask: Float64Array;
  tokenLevelRewards: Float64Array;
  /** Sampler logprobs (0 at observations and padding). */
  samplerLogProb: Float64Array;
  scores: Float64Array;
  /** Group uid per row. */
  index: string[];
}

export interface TokenBatchOptions {
  /** false reproduces the unmasked-observation bug: observation tokens join the loss. Default true. */
  maskObservations?: boolean;
}

export function buildTokenBatch(trajectories: readonly Trajectory[], options: TokenBatchOptions = {}): TokenBatch {
  const flats = trajectories.map((trajectory) => {
    if (!trajectory.tokens) {
      throw new TrainingError(
        `trajectory ${trajectory.id} has no token view; training needs the sampled token ids (enable token ids on the model endpoint)`,
      );
    }
    return flattenTokens(trajectory.tokens);
  });
  const rows = flats.length;
  const columns = Math.max(1, ...flats.map((flat) => flat.responseIds.length));
  const batch: TokenBatch = {
    rows,
    columns,
    sequences: flats.map((flat) => [...flat.promptIds, ...flat.responseIds]),
    promptLengths: flats.map((flat) => flat.promptIds.length),
    responseLengths: flats.map((flat) => flat.responseIds.length),
    responseMask: new Float64Array(rows * columns),
    lossMask: new Float64Array(rows * columns),
    tokenLevelRewards: new Float64Array(rows * columns),
    samplerLogProb: new Float64Array(rows * columns),
    scores: new Float64Array(rows),
    index: trajectories.map((trajectory) =>
      String(trajectory.metadata.uid ?? trajectory.questionId ?? trajectory.question),
    ),
  };
  const maskObservations = options.maskObservations ?? true;
  flats.forEach((flat, i) => {
    const base = i * columns;
    const score = trajectories[i]?.reward?.score ?? 0;
    batch.scores[i] = score;
    for (let t = 0; t < flat.responseIds.length; t++) {
      batch.responseMask[base + t] = flat.responseMask[t] as number;
      batch.lossMask[base + t] = maskObservations ? (flat.responseMask[t] as number) : 1;
      batch.samplerLogProb[base + t] = flat.responseLogprobs[t] as number;
    }
    const last = maskObservations ? flat.lastModelIndex : flat.responseIds.length - 1;
    if (last >= 0) batch.tokenLevelRewards[base + last] = score;
  });
  return batch;
}

/** Copy response-aligned values of row i into a sequence-aligned array (index promptLength + t). */
export function toSequenceAligned(batch: TokenBatch, row: number, values: ArrayLike<number>): Float32Array {
  const sequence = batch.sequences[row] as number[];
  const out = new Float32Array(sequence.length);
  const offset = batch.promptLengths[row] as number;
  const base = row * batch.columns;
  const length = batch.responseLengths[row] as number;
  for (let t = 0; t < length; t++) out[offset + t] = values[base + t] as number;
  return out;
}

/** Gather sequence-aligned per-token arrays into the response-aligned [rows × columns] layout. */
export function fromSequenceAligned(batch: TokenBatch, perRow: readonly ArrayLike<number>[]): Float64Array {
  const out = new Float64Array(batch.rows * batch.columns);
  for (let i = 0; i < batch.rows; i++) {
    const values = perRow[i] as ArrayLike<number>;
    const offset = batch.promptLengths[i] as number;
    const length = batch.responseLengths[i] as number;
    for (let t = 0; t < length; t++) out[i * batch.columns + t] = values[offset + t] as number;
  }
  return out;
}

/** Keep only the selected rows (DAPO/DUPO group filtering acts on whole groups). */
export function selectRows(batch: TokenBatch, keep: readonly number[]): TokenBatch {
  const columns = batch.columns;
  const pick = (array: Float64Array) => {
    const out = new Float64Array(keep.length * columns);
    keep.forEach((row, i) => {
      out.set(array.subarray(row * columns, (row + 1) * columns), i * columns);
    });
    return out;
  };
  return {
    rows: keep.length,
    columns,
    sequences: keep.map((row) => batch.sequences[row] as number[]),
    promptLengths: keep.map((row) => batch.promptLengths[row] as number),
    responseLengths: keep.map((row) => batch.responseLengths[row] as number),
    responseMask: pick(batch.responseMask),
    lossMask: pick(batch.lossMask),
    tokenLevelRewards: pick(batch.tokenLevelRewards),
    samplerLogProb: pick(batch.samplerLogProb),
    scores: Float64Array.from(keep.map((row) => batch.scores[row] as number)),
    index: keep.map((row) => batch.index[row] as string),
  };
}
