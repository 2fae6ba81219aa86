/** Trajectory → `ItemResult` (what the metrics need), with the judge verdict taking precedence over EM. */
import type { Trajectory } from "../core/trajectory.js";
import type { ItemResult } from "./metrics.js";

/**
 * Correctness of a stored trajectory: the verdict of `judge` (or the last verdict) when present —
 * null when that judge failed — else exact match. No prediction is wrong.
 */
export function itemResultFromTrajectory(trajectory: Trajectory, judge?: string): ItemResult {
  const verdict = judge
    ? trajectory.verdicts.find((candidate) => candidate.judge === judge)
    : trajectory.verdicts[trajectory.verdicts.length - 1];
  const em = trajectory.reward?.components.em;
  const f1 = trajectory.reward?.components.f1;
  let correct: boolean | null;
  if (trajectory.prediction === null) correct = false;
  else if (verdict) correct = verdict.status === "ok" ? verdict.correct : null;
  else correct = (em ?? 0) === 1;
  const level = trajectory.metadata.level;
  const source = trajectory.metadata.source;
  return {
    questionId: trajectory.questionId ?? trajectory.id,
    sample: trajectory.sample,
    correct,
    prediction: trajectory.prediction,
    ...(typeof level === "string" ? { level } : {}),
    ...(typeof source === "string" ? { source } : {}),
    // Heavy mode: the parent's own record has no turns; count its episodes' turns (as its usage counts their calls).
    turns: trajectory.children
      ? trajectory.children.reduce((sum, child) => sum + child.turns.length, 0)
      : trajectory.turns.length,
    toolCalls: trajectory.usage.toolCalls,
    tokens: trajectory.usage.totalTokens,
    costUsd: trajectory.usage.costUsd,
    durationMs: trajectory.timings.durationMs,
    termination: trajectory.termination,
    ...(em !== undefined ? { em } : {}),
    ...(f1 !== undefined ? { f1 } : {}),
    ...(verdict?.grade !== undefined ? { grade: verdict.grade } : {}),
    ...(verdict?.confidence !== undefined ? { confidence: verdict.confidence } : {}),
  };
}
