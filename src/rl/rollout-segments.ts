/**
 * Context segments as training samples (ReSum-GRPO, arXiv 2509.13313; slime's compaction training): a `summarize`
 * episode with earlier segments becomes one sample per segment, each with its own token view (prompt = that segment's
 * opening, response = its turns), all sharing the rollout's outcome reward and group. Advantages are estimated once per
 * rollout — on its last segment, so a group's mean and std count rollouts, not segments — and the rollout's advantage
 * is given to every token of all its segments (`segmentAdvantages`).
 */
import { InputError } from "../core/errors.js";
import type { Trajectory } from "../core/trajectory.js";
import type { AdvantageInput, AdvantageOutput } from "./advantage-types.js";

/** Estimators whose advantage is one scalar per row, which can be broadcast from a rollout to its segments. */
export const SEGMENT_ESTIMATORS: readonly string[] = ["grpo", "dr_grpo", "rloo", "gpg", "grpo_passk"];

/** Whether a token view holds sampled (model) tokens, the ones a sample trains on. */
export function hasModelTokens(view: Trajectory["tokens"]): boolean {
  return view?.spans.some((span) => span.source === "model" && span.ids.length > 0) ?? false;
}

/**
 * The samples of one rollout: the trajectory itself when it has no segments; else one per segment (id
 * `<id>#segment-<i>`, `metadata.rollout` = the rollout id), the last being the trajectory's own messages and tokens.
 * A last segment with no sampled tokens (the episode ended right after a summary) is left out.
 */
export function segmentSamples(trajectory: Trajectory): Trajectory[] {
  const segments = trajectory.segments ?? [];
  if (segments.length === 0) return [trajectory];
  const count = segments.length + 1;
  const earlier = segments.map((segment, index) => ({
    ...trajectory,
    id: `${trajectory.id}#segment-${index}`,
    messages: segment.messages,
    tokens: segment.tokens,
    turns: trajectory.turns.filter((turn) => turn.index >= segment.firstTurn && turn.index <= segment.lastTurn),
    segments: undefined,
    metadata: { ...trajectory.metadata, rollout: trajectory.id, segment: index, segmentCount: count },
  }));
  const lastFirstTurn = (segments.at(-1)?.lastTurn ?? -1) + 1;
  const last: Trajectory = {
    ...trajectory,
    id: `${trajectory.id}#segment-${segments.length}`,
    turns: trajectory.turns.filter((turn) => turn.index >= lastFirstTurn),
    segments: undefined,
    metadata: { ...trajectory.metadata, rollout: trajectory.id, segment: segments.length, segmentCount: count },
  };
  return hasModelTokens(last.tokens) ? [...earlier, last] : earlier;
}

function pickRows(values: ArrayLike<number>, rows: readonly number[], columns: number): Float64Array {
  const out = new Float64Array(rows.length * columns);
  rows.forEach((row, j) => {
    for (let t = 0; t < columns; t++) out[j * columns + t] = values[row * columns + t] as number;
  });
  return out;
}

/**
 * Advantages of a batch whose rows are segments: `rollouts[i]` names row i's rollout (rows of one rollout share it).
 * `compute` runs on the last row of each rollout; each row then gets its rollout's scalar advantage on its masked
 * tokens. A batch without segments (all rollout ids distinct) is passed to `compute` unchanged.
 */
export function segmentAdvantages(
  input: AdvantageInput,
  rollouts: readonly string[],
  compute: (input: AdvantageInput) => AdvantageOutput,
): AdvantageOutput {
  if (rollouts.length !== input.rows)
    throw new InputError(`segmentAdvantages: ${input.rows} rows but ${rollouts.length} rollout ids`);
  const lastRow = new Map<string, number>();
  for (const [row, rollout] of rollouts.entries()) lastRow.set(rollout, row);
  if (lastRow.size === input.rows) return compute(input);
  const rows = [...lastRow.values()];
  const columns = input.columns;
  const sub = compute({
    rows: rows.length,
    columns,
    tokenLevelRewards: pickRows(input.tokenLevelRewards, rows, columns),
    responseMask: pickRows(input.responseMask, rows, columns),
    ...(input.index ? { index: rows.map((row) => input.index?.[row] as string | number) } : {}),
  });
  const scalar = new Map<string, number>();
  rows.forEach((row, j) => {
    let value = 0;
    for (let t = columns - 1; t >= 0; t--)
      if ((input.responseMask[row * columns + t] as number) !== 0) {
        value = sub.advantages[j * columns + t] as number;
        break;
      }
    scalar.set(rollouts[row] as string, value);
  });
  const advantages = new Float64Array(input.rows * columns);
  for (let row = 0; row < input.rows; row++) {
    const value = scalar.get(rollouts[row] as string) as number;
    for (let t = 0; t < columns; t++) {
      const k = row * columns + t;
      advantages[k] = value * (input.responseMask[k] as number);
    }
  }
  return { advantages, returns: advantages.slice() };
}
