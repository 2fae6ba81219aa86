/**
 * Rollouts in token space → a padded training batch, verl layout: prompts left-padded, responses
 * right-padded, model tokens mask 1 and observation tokens mask 0, old logprobs from the sampler
 * (observation and padding positions 0), the outcome reward on the last MODEL token of each response, and
 * one group id (uid) per prompt shared by its n samples. The ids are taken verbatim from each trajectory's
 * `tokens` view: nothing is ever re-tokenised. A `summarize` episode gives one row per context segment
 * (src/rl/rollout-segments.ts), the rows of one rollout sharing its id in `rollouts`.
 */
import { TrainingError } from "../core/errors.js";
import { flattenTokens, type Trajectory } from "../core/trajectory.js";
import { segmentSamples } from "./rollout-segments.js";

export interface RolloutBatch {
  rows: number;
  /** Padded prompt length P. */
  promptColumns: number;
  /** Padded response length T. */
  columns: number;
  /** [rows × P], left-padded with `padTokenId`. */
  promptIds: Int32Array;
  /** [rows × P]: 1 on real prompt tokens. */
  promptAttentionMask: Uint8Array;
  /** [rows × T], right-padded with `padTokenId`; model and observation tokens interleaved as sampled. */
  responseIds: Int32Array;
  /** [rows × T]: 1 on real response tokens (model or observation), 0 on padding. */
  responseAttentionMask: Uint8Array;
  /** [rows × T]: 1 on model-sampled tokens only (loss, KL and entropy mask). */
  responseMask: Float64Array;
  /** [rows × T]: sampler logprobs on model tokens, 0 elsewhere. */
  oldLogProb: Float64Array;
  /** [rows × T]: the outcome score on the last model token, 0 elsewhere (before any KL shaping). */
  tokenLevelScores: Float64Array;
  /** Group id (prompt uid) per row. */
  index: string[];
  /** Number of model tokens per row (Σ m): the length used by overlong shaping and OPO. */
  responseLengths: Int32Array;
  /** Number of real response tokens per row (model + observation). */
  validLengths: Int32Array;
  /** Whether every model token of the row carried a sampler logprob (otherwise recompute π_old). */
  hasSamplerLogProbs: boolean[];
  /** Whether the row's response was cut to fit `maxResponseLength`. */
  truncated: boolean[];
  /** Trajectory id per row (`<id>#segment-<i>` for a segment of a summarize episode). */
  trajectoryIds: string[];
  /** Rollout (episode) id per row: the trajectory id, shared by the segments of one episode. */
  rollouts: string[];
  /** Turns per row (diagnostic, verl `num_turns`). */
  numTurns: Int32Array;
}

export interface RolloutBatchOptions {
  padTokenId?: number;
  /** Pad responses to this length (verl `data.max_response_length`); default: the longest response. */
  maxResponseLength?: number;
  /** Pad prompts to this length; default: the longest prompt. */
  maxPromptLength?: number;
  /** What to do with a response longer than `maxResponseLength`: `error` (default) or `truncate` (keep the start). */
  overflow?: "error" | "truncate";
  /** The scalar outcome reward of a trajectory; default `trajectory.reward.score` (error when missing). */
  rewardOf?: (trajectory: Trajectory) => number;
  /** The group key of a trajectory; default `questionId`, else the question text. */
  groupOf?: (trajectory: Trajectory) => string;
}

function defaultReward(trajectory: Trajectory): number {
  if (!trajectory.reward) {
    throw new TrainingError(
      `trajectory ${trajectory.id} has no reward; score the trajectories first (drkit reward) or pass rewardOf`,
    );
  }
  return trajectory.reward.score;
}

function defaultGroup(trajectory: Trajectory): string {
  return trajectory.questionId ?? trajectory.question;
}

/** Build a padded batch from trajectories that carry a token view. */
export function buildRolloutBatch(
  trajectories: readonly Trajectory[],
  options: RolloutBatchOptions = {},
): RolloutBatch {
  const padTokenId = options.padTokenId ?? 0;
  const rewardOf = options.rewardOf ?? defaultReward;
  const groupOf = options.groupOf ?? defaultGroup;
  const samples = trajectories.flatMap((rollout) =>
    segmentSamples(rollout).map((trajectory) => ({ rollout, trajectory })),
  );
  const flats = samples.map(({ rollout, trajectory }) => {
    if (!trajectory.tokens) {
      throw new TrainingError(
        `trajectory ${trajectory.id} has no token view; RL needs the sampled token ids (run the agent against a server that returns token ids and logprobs) and never re-tokenises text`,
      );
    }
    for (const span of trajectory.tokens.spans) {
      if (span.logprobs && span.logprobs.length !== span.ids.length) {
        throw new TrainingError(
          `trajectory ${trajectory.id}: a ${span.source} span of turn ${span.turn} has ${span.ids.length} ids but ${span.logprobs.length} logprobs`,
        );
      }
    }
    const hasLogProbs = trajectory.tokens.spans.every((span) => span.source !== "model" || span.logprobs !== undefined);
    return { rollout, trajectory, flat: flattenTokens(trajectory.tokens), hasLogProbs };
  });
  const longestResponse = Math.max(0, ...flats.map(({ flat }) => flat.responseIds.length));
  const longestPrompt = Math.max(0, ...flats.map(({ flat }) => flat.promptIds.length));
  const columns = options.maxResponseLength ?? longestResponse;
  const promptColumns = options.maxPromptLength ?? longestPrompt;
  if (longestPrompt > promptColumns) {
    throw new TrainingError(`a prompt has ${longestPrompt} tokens but maxPromptLength is ${promptColumns}`);
  }
  const rows = samples.length;
  const batch: RolloutBatch = {
    rows,
    promptColumns,
    columns,
    promptIds: new Int32Array(rows * promptColumns).fill(padTokenId),
    promptAttentionMask: new Uint8Array(rows * promptColumns),
    responseIds: new Int32Array(rows * columns).fill(padTokenId),
    responseAttentionMask: new Uint8Array(rows * columns),
    responseMask: new Float64Array(rows * columns),
    oldLogProb: new Float64Array(rows * columns),
    tokenLevelScores: new Float64Array(rows * columns),
    index: [],
    responseLengths: new Int32Array(rows),
    validLengths: new Int32Array(rows),
    hasSamplerLogProbs: [],
    truncated: [],
    trajectoryIds: [],
    rollouts: [],
    numTurns: new Int32Array(rows),
  };
  flats.forEach(({ rollout, trajectory, flat, hasLogProbs }, i) => {
    let length = flat.responseIds.length;
    const truncated = length > columns;
    if (truncated) {
      if (options.overflow !== "truncate") {
        throw new TrainingError(
          `trajectory ${trajectory.id} has ${length} response tokens but maxResponseLength is ${columns}; raise it or pass overflow: "truncate"`,
        );
      }
      length = columns;
    }
    const promptOffset = i * promptColumns + (promptColumns - flat.promptIds.length);
    batch.promptIds.set(flat.promptIds, promptOffset);
    batch.promptAttentionMask.fill(1, promptOffset, promptOffset + flat.promptIds.length);
    const base = i * columns;
    let lastModel = -1;
    let modelTokens = 0;
    for (let t = 0; t < length; t++) {
      batch.responseIds[base + t] = flat.responseIds[t] as number;
      batch.responseAttentionMask[base + t] = 1;
      const m = flat.responseMask[t] as number;
      batch.responseMask[base + t] = m;
      batch.oldLogProb[base + t] = m === 1 ? (flat.responseLogprobs[t] as number) : 0;
      if (m === 1) {
        lastModel = t;
        modelTokens += 1;
      }
    }
    if (lastModel < 0) {
      throw new TrainingError(
        `trajectory ${trajectory.id} has no model tokens${truncated ? " within maxResponseLength" : ""}; filter it out before building the batch`,
      );
    }
    batch.tokenLevelScores[base + lastModel] = rewardOf(rollout);
    batch.index.push(groupOf(rollout));
    batch.responseLengths[i] = modelTokens;
    batch.validLengths[i] = length;
    batch.hasSamplerLogProbs.push(hasLogProbs);
    batch.truncated.push(truncated);
    batch.trajectoryIds.push(trajectory.id);
    batch.rollouts.push(rollout.id);
    batch.numTurns[i] = trajectory.turns.length;
  });
  return batch;
}

/** Sizes of each group in a batch, in first-seen order (to check that every prompt has n samples). */
export function groupSizes(index: readonly string[]): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const key of index) sizes.set(key, (sizes.get(key) ?? 0) + 1);
  return sizes;
}

/**
 * A new batch made of the given rows (in order, repeats allowed), e.g. after dynamic sampling or DUPO.
 * `index` replaces the group ids (DUPO gives duplicated groups new uids).
 */
export function selectBatchRows(batch: RolloutBatch, rows: readonly number[], index?: readonly string[]): RolloutBatch {
  if (index && index.length !== rows.length) {
    throw new TrainingError(`selectBatchRows: ${rows.length} rows but ${index.length} group ids`);
  }
  const { promptColumns: p, columns: t } = batch;
  const out: RolloutBatch = {
    rows: rows.length,
    promptColumns: p,
    columns: t,
    promptIds: new Int32Array(rows.length * p),
    promptAttentionMask: new Uint8Array(rows.length * p),
    responseIds: new Int32Array(rows.length * t),
    responseAttentionMask: new Uint8Array(rows.length * t),
    responseMask: new Float64Array(rows.length * t),
    oldLogProb: new Float64Array(rows.length * t),
    tokenLevelScores: new Float64Array(rows.length * t),
    index: [],
    responseLengths: new Int32Array(rows.length),
    validLengths: new Int32Array(rows.length),
    hasSamplerLogProbs: [],
    truncated: [],
    trajectoryIds: [],
    rollouts: [],
    numTurns: new Int32Array(rows.length),
  };
  rows.forEach((row, j) => {
    if (!(row >= 0 && row < batch.rows))
      throw new TrainingError(`selectBatchRows: row ${row} is outside 0..${batch.rows - 1}`);
    out.promptIds.set(batch.promptIds.subarray(row * p, (row + 1) * p), j * p);
    out.promptAttentionMask.set(batch.promptAttentionMask.subarray(row * p, (row + 1) * p), j * p);
    for (const key of [
      "responseIds",
      "responseAttentionMask",
      "responseMask",
      "oldLogProb",
      "tokenLevelScores",
    ] as const) {
      (out[key] as Float64Array).set((batch[key] as Float64Array).subarray(row * t, (row + 1) * t), j * t);
    }
    out.index.push(index ? (index[j] as string) : (batch.index[row] as string));
    out.responseLengths[j] = batch.responseLengths[row] as number;
    out.validLengths[j] = batch.validLengths[row] as number;
    out.hasSamplerLogProbs.push(batch.hasSamplerLogProbs[row] as boolean);
    out.truncated.push(batch.truncated[row] as boolean);
    out.trajectoryIds.push(batch.trajectoryIds[row] as string);
    out.rollouts.push(batch.rollouts[row] as string);
    out.numTurns[j] = batch.numTurns[row] as number;
  });
  return out;
}
