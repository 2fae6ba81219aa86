/**
 * Group-level sampling filters and reward shaping used by DAPO, WebSailor's DUPO and Tongyi DeepResearch:
 * dynamic sampling (drop groups whose metric is identical for all members, refill from new generation
 * batches), DUPO (refill by duplicating informative groups of the same batch), DAPO overlong reward
 * shaping, and exclusion of truncated rollouts. All filters act on whole groups (prompt uids).
 */
import { InputError, TrainingError } from "../core/errors.js";
import type { Random } from "../core/random.js";
import type { Termination, Trajectory } from "../core/trajectory.js";
import type { BatchShape, NumberArray } from "./tensor.js";

export interface GroupAccessors<T> {
  /** The prompt uid of an item. */
  groupOf: (item: T) => string;
  /** The filter metric (`acc`, `score`, `seq_reward` …) of an item. */
  metricOf: (item: T) => number;
}

/** Items by group, groups in first-seen order. */
export function splitGroups<T>(items: readonly T[], groupOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = groupOf(item);
    const members = groups.get(key);
    if (members) members.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

/** Population std of a group's metric (only zero or non-zero matters here). */
function metricSpread(values: readonly number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
}

export interface GroupFilterResult<T> {
  kept: T[];
  keptGroups: string[];
  droppedGroups: string[];
}

/**
 * DAPO dynamic sampling (`algorithm.filter_groups`): keep groups whose metric varies (std > 0). As in verl's
 * DAPO recipe, a group of one sample is kept (it has nothing to compare against).
 */
export function filterZeroVarianceGroups<T>(items: readonly T[], accessors: GroupAccessors<T>): GroupFilterResult<T> {
  const result: GroupFilterResult<T> = { kept: [], keptGroups: [], droppedGroups: [] };
  for (const [group, members] of splitGroups(items, accessors.groupOf)) {
    if (members.length === 1 || metricSpread(members.map(accessors.metricOf)) > 0) {
      result.kept.push(...members);
      result.keptGroups.push(group);
    } else {
      result.droppedGroups.push(group);
    }
  }
  return result;
}

export interface DynamicSamplingOptions<T> extends GroupAccessors<T> {
  /** Groups (prompts) needed per training batch (`data.train_batch_size`). */
  trainBatchSize: number;
  /** Generation rounds allowed before giving up (`max_num_gen_batches`, default 10; ≤ 0 = unlimited). */
  maxNumGenBatches?: number;
}

/**
 * Accumulates generation batches until `trainBatchSize` groups with varying rewards are collected
 * (DAPO). `add` returns true when enough groups qualify; `take` returns the first `trainBatchSize`
 * qualifying groups' items and starts over.
 */
export class DynamicSamplingBuffer<T> {
  private groups = new Map<string, T[]>();
  private generationBatches = 0;
  private dropped = 0;

  constructor(private readonly options: DynamicSamplingOptions<T>) {
    if (!(options.trainBatchSize > 0)) throw new InputError("trainBatchSize must be a positive number of groups");
  }

  /** Generation batches consumed since the last `take`. */
  get numGenBatches(): number {
    return this.generationBatches;
  }

  /** Qualifying groups collected so far. */
  get readyGroups(): number {
    return this.groups.size;
  }

  /** Groups dropped for zero variance since the last `take`. */
  get droppedGroups(): number {
    return this.dropped;
  }

  add(items: readonly T[]): boolean {
    this.generationBatches += 1;
    const { kept, droppedGroups } = filterZeroVarianceGroups(items, this.options);
    this.dropped += droppedGroups.length;
    for (const [group, members] of splitGroups(kept, this.options.groupOf)) {
      const existing = this.groups.get(group);
      if (existing) existing.push(...members);
      else this.groups.set(group, members);
    }
    const ready = this.groups.size >= this.options.trainBatchSize;
    const limit = this.options.maxNumGenBatches ?? 10;
    if (!ready && limit > 0 && this.generationBatches >= limit) {
      throw new TrainingError(
        `dynamic sampling: ${this.generationBatches} generation batches gave only ${this.groups.size} of ${this.options.trainBatchSize} groups with varying rewards; raise max_num_gen_batches or use easier/harder prompts`,
      );
    }
    return ready;
  }

  take(): T[] {
    if (this.groups.size < this.options.trainBatchSize) {
      throw new TrainingError(
        `dynamic sampling: only ${this.groups.size} of ${this.options.trainBatchSize} groups are ready; keep calling add()`,
      );
    }
    const items: T[] = [];
    let count = 0;
    for (const members of this.groups.values()) {
      if (count === this.options.trainBatchSize) break;
      items.push(...members);
      count += 1;
    }
    this.groups = new Map();
    this.generationBatches = 0;
    this.dropped = 0;
    return items;
  }
}

export interface DuplicatedItem<T> {
  item: T;
  /** The group id to train with: the original uid, or `uid#dupK` for the K-th copy of a duplicated group. */
  group: string;
  duplicate: boolean;
}

/**
 * DUPO (WebSailor): drop zero-variance groups, then refill the batch to `targetGroups` by duplicating
 * randomly chosen informative groups of the same batch (copies get distinct uids so group statistics stay
 * per copy). Throws when no group is informative.
 */
export function duplicateInformativeGroups<T>(
  items: readonly T[],
  options: GroupAccessors<T> & { targetGroups: number; random: Random },
): DuplicatedItem<T>[] {
  const kept = [...splitGroups(filterZeroVarianceGroups(items, options).kept, options.groupOf)];
  // Only groups with varying rewards are duplicated; kept singletons stay but carry no comparison.
  const informative = kept.filter(([, members]) => members.length > 1);
  const out: DuplicatedItem<T>[] = [];
  for (const [group, members] of kept) {
    for (const item of members) out.push({ item, group, duplicate: false });
  }
  let groups = kept.length;
  if (groups >= options.targetGroups) return out;
  if (informative.length === 0) {
    throw new TrainingError("DUPO: no group in this batch has varying rewards, so there is nothing to duplicate");
  }
  const copies = new Map<string, number>();
  while (groups < options.targetGroups) {
    const [group, members] = options.random.pick(informative);
    const copy = (copies.get(group) ?? 0) + 1;
    copies.set(group, copy);
    for (const item of members) out.push({ item, group: `${group}#dup${copy}`, duplicate: true });
    groups += 1;
  }
  return out;
}

/** DUPO's pre-training step: drop prompts for which every rollout is already correct. */
export function dropSolvedGroups<T>(
  items: readonly T[],
  options: { groupOf: (item: T) => string; isCorrect: (item: T) => boolean },
): GroupFilterResult<T> {
  const result: GroupFilterResult<T> = { kept: [], keptGroups: [], droppedGroups: [] };
  for (const [group, members] of splitGroups(items, options.groupOf)) {
    if (members.every(options.isCorrect)) result.droppedGroups.push(group);
    else {
      result.kept.push(...members);
      result.keptGroups.push(group);
    }
  }
  return result;
}

export interface OverlongOptions {
  /** L_max, `data.max_response_length`. */
  maxResponseLength: number;
  /** L_c, `reward_model.overlong_buffer.len`. */
  bufferLength: number;
  /** `overlong_buffer.penalty_factor` (verl form only), default 1. */
  penaltyFactor?: number;
}

function checkOverlong(options: OverlongOptions): void {
  if (!(options.bufferLength > 0 && options.bufferLength <= options.maxResponseLength)) {
    throw new InputError(
      `the overlong buffer length must be in (0, max_response_length]; got ${options.bufferLength} with max ${options.maxResponseLength}`,
    );
  }
}

/**
 * DAPO paper soft overlong punishment: 0 if |y| ≤ L_max − L_c; ((L_max − L_c) − |y|)/L_c inside the buffer;
 * −1 beyond L_max. |y| counts model tokens only.
 */
export function overlongPenaltyPaper(length: number, options: OverlongOptions): number {
  checkOverlong(options);
  const start = options.maxResponseLength - options.bufferLength;
  if (length <= start) return 0;
  if (length <= options.maxResponseLength) return (start - length) / options.bufferLength;
  return -1;
}

/** verl DAPO reward manager: exceed = |y| − (L_max − L_c); penalty = min(−exceed/L_c · factor, 0). */
export function overlongPenaltyVerl(length: number, options: OverlongOptions): number {
  checkOverlong(options);
  const exceed = length - (options.maxResponseLength - options.bufferLength);
  // `|| 0` turns −0 into 0 at the buffer start
  return Math.min((-exceed / options.bufferLength) * (options.penaltyFactor ?? 1), 0) || 0;
}

/**
 * Add the overlong penalty of each row to its reward on the last model token (in place). Lengths are
 * Σ_t m (model tokens only). Returns the per-row penalties.
 */
export function applyOverlongShaping(
  batch: BatchShape & { tokenLevelScores: Float64Array; responseMask: NumberArray },
  options: OverlongOptions & { form?: "verl" | "paper" },
): Float64Array {
  const penalties = new Float64Array(batch.rows);
  const penalty = options.form === "paper" ? overlongPenaltyPaper : overlongPenaltyVerl;
  for (let i = 0; i < batch.rows; i++) {
    const base = i * batch.columns;
    let length = 0;
    let last = -1;
    for (let t = 0; t < batch.columns; t++) {
      if ((batch.responseMask[base + t] as number) !== 0) {
        length += 1;
        last = t;
      }
    }
    if (last < 0) continue;
    penalties[i] = penalty(length, options);
    batch.tokenLevelScores[base + last] = (batch.tokenLevelScores[base + last] as number) + (penalties[i] as number);
  }
  return penalties;
}

/** Terminations that mean the rollout was cut off rather than finished. */
export const TRUNCATED_TERMINATIONS: readonly Termination[] = [
  "generate an answer as token limit reached",
  "format error: generate an answer as token limit reached",
  "exceed available llm calls",
  "max turns reached",
  "answer not found",
  "wall clock limit",
  "budget exceeded",
];

/** Whether a rollout was truncated: a limit ended it, or its last turn stopped on the length limit. */
export function isTruncatedRollout(trajectory: Trajectory): boolean {
  if (TRUNCATED_TERMINATIONS.includes(trajectory.termination)) return true;
  const last = trajectory.turns[trajectory.turns.length - 1];
  return last?.finishReason === "length";
}

/**
 * Truncated-rollout exclusion. `no-answer` (Tongyi DeepResearch) drops truncated rollouts that produced no
 * answer; `all` (DAPO overlong filtering) drops every truncated rollout.
 */
export function excludeTruncatedRollouts(
  trajectories: readonly Trajectory[],
  mode: "no-answer" | "all" = "no-answer",
): { kept: Trajectory[]; excluded: Trajectory[] } {
  const kept: Trajectory[] = [];
  const excluded: Trajectory[] = [];
  for (const trajectory of trajectories) {
    const drop = isTruncatedRollout(trajectory) && (mode === "all" || trajectory.prediction === null);
    (drop ? excluded : kept).push(trajectory);
  }
  return { kept, excluded };
}

/** Zero the loss mask of the given rows in place (overlong filtering on a built batch). */
export function maskRows(batch: BatchShape & { responseMask: Float64Array }, rows: Iterable<number>): void {
  for (const i of rows) batch.responseMask.fill(0, i * batch.columns, (i + 1) * batch.columns);
}
