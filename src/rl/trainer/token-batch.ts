/**
 * The trainer's view of a batch: `buildRolloutBatch` (src/rl/rollout-batch.ts: response mask, sampler
 * logprobs as π_old, the outcome score on the last model token, uid groups) plus what the in-process
 * policy needs: the prompt ++ response id sequence per row, and the loss mask (equal to the response mask
 * unless the unmasked-observation ablation is on).
 */

import type { Trajectory } from "../../core/trajectory.js";
import { buildRolloutBatch, type RolloutBatch, selectBatchRows } from "../rollout-batch.js";

export interface TokenBatch {
  rows: number;
  columns: number;
  /** prompt ++ response ids per row. */
  sequences: number[][];
  promptLengths: number[];
  /** Response tokens per row (model + observation). */
  responseLengths: number[];
  /** 1 on model tokens; 0 on observation tokens and padding. */
  responseMask: Float64Array;
  /** The mask the loss uses: equals responseMask unless observation masking is switched off (ablation). */
  lossMask: Float64Array;
  tokenLevelRewards: Float64Array;
  /** Sampler logprobs (0 at observations and padding). */
  samplerLogProb: Float64Array;
  scores: Float64Array;
  /** Group uid per row. */
  index: string[];
  /** The underlying verl-layout batch. */
  rollout: RolloutBatch;
}

export interface TokenBatchOptions {
  /** false reproduces the unmasked-observation bug: observation tokens join the loss. Default true. */
  maskObservations?: boolean;
}

export function buildTokenBatch(trajectories: readonly Trajectory[], options: TokenBatchOptions = {}): TokenBatch {
  const rollout = buildRolloutBatch(trajectories, {
    rewardOf: (trajectory) => trajectory.reward?.score ?? 0,
    groupOf: (trajectory) => String(trajectory.metadata.uid ?? trajectory.questionId ?? trajectory.question),
  });
  const { rows, columns } = rollout;
  const maskObservations = options.maskObservations ?? true;
  const sequences: number[][] = [];
  const promptLengths: number[] = [];
  const responseLengths: number[] = [];
  const lossMask = maskObservations ? rollout.responseMask.slice() : new Float64Array(rows * columns);
  const tokenLevelRewards = rollout.tokenLevelScores.slice();
  const scores = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const prompt: number[] = [];
    for (let j = 0; j < rollout.promptColumns; j++) {
      const k = i * rollout.promptColumns + j;
      if (rollout.promptAttentionMask[k] === 1) prompt.push(rollout.promptIds[k] as number);
    }
    const length = rollout.validLengths[i] as number;
    const base = i * columns;
    sequences.push([...prompt, ...Array.from(rollout.responseIds.subarray(base, base + length))]);
    promptLengths.push(prompt.length);
    responseLengths.push(length);
    let score = 0;
    for (let t = 0; t < columns; t++) score += tokenLevelRewards[base + t] as number;
    scores[i] = score;
    if (!maskObservations) {
      // The bug: every response token is in the loss, and the reward sits on the last token.
      lossMask.fill(1, base, base + length);
      tokenLevelRewards.fill(0, base, base + columns);
      if (length > 0) tokenLevelRewards[base + length - 1] = score;
    }
  }
  return {
    rows,
    columns,
    sequences,
    promptLengths,
    responseLengths,
    responseMask: rollout.responseMask,
    lossMask,
    tokenLevelRewards,
    samplerLogProb: rollout.oldLogProb,
    scores,
    index: rollout.index,
    rollout,
  };
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
    rollout: selectBatchRows(batch.rollout, keep),
  };
}

/**
 * π_old for the loss: the sampler's logprobs on model tokens, the current policy's elsewhere (observation tokens,
 * which the sampler never produced, join the loss only in the unmasked ablation); and the mean |current − sampler|
 * over the model tokens (`logprob_mismatch`).
 */
export function samplerOldLogProb(
  batch: TokenBatch,
  logProb: ArrayLike<number>,
): { oldLogProb: Float64Array; mismatch: number } {
  const oldLogProb = new Float64Array(batch.rows * batch.columns);
  let mismatch = 0;
  let sampled = 0;
  for (let k = 0; k < oldLogProb.length; k++) {
    const isModel = batch.responseMask[k] === 1;
    oldLogProb[k] = isModel ? (batch.samplerLogProb[k] as number) : (logProb[k] as number);
    if (isModel) {
      mismatch += Math.abs((logProb[k] as number) - (batch.samplerLogProb[k] as number));
      sampled += 1;
    }
  }
  return { oldLogProb, mismatch: sampled === 0 ? 0 : mismatch / sampled };
}
