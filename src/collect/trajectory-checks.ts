/**
 * Per-trajectory checks of the three-stage filter (WebDancer): validity/format,
 * correctness (judge verdict or reward), and rule-based quality (turns, tool calls, repeated calls, answer
 * length, 10-gram repetition). Each check returns null when the trajectory passes, else a reason.
 */
import type { Trajectory } from "../core/trajectory.js";

export type Check = (trajectory: Trajectory) => string | null;

/** Stage 1: the run finished, every action parsed, every tool call had parseable arguments, an answer exists. */
export function validityReason(trajectory: Trajectory, options: { requireAnswer?: boolean } = {}): string | null {
  if (trajectory.error) return `run error: ${trajectory.error.code}`;
  if (trajectory.termination === "error" || trajectory.termination === "cancelled") {
    return `termination ${trajectory.termination}`;
  }
  const invalid = trajectory.turns.find((turn) => turn.action === "invalid");
  if (invalid) return `invalid action in turn ${invalid.index}`;
  for (const turn of trajectory.turns) {
    const bad = turn.toolCalls.find((call) => call.arguments === undefined);
    if (bad) return `unparsable arguments for tool ${bad.name} in turn ${turn.index}`;
  }
  if ((options.requireAnswer ?? true) && (trajectory.prediction === null || trajectory.prediction.trim() === "")) {
    return "no final answer";
  }
  return null;
}

/**
 * Whether the trajectory is correct: an `ok` judge verdict decides when there is one (all ok verdicts must
 * agree it is correct); otherwise the reward must reach `minReward`. Judge errors never count either way.
 * Returns null when neither a decisive verdict nor a reward exists.
 */
export function isCorrect(
  trajectory: Trajectory,
  options: { minReward?: number; useVerdicts?: boolean } = {},
): boolean | null {
  if (options.useVerdicts ?? true) {
    const decided = trajectory.verdicts.filter((verdict) => verdict.status === "ok" && verdict.correct !== null);
    if (decided.length > 0) return decided.every((verdict) => verdict.correct === true);
  }
  if (trajectory.reward) return trajectory.reward.score >= (options.minReward ?? 1);
  return null;
}

/** Stage 2 as a check. */
export function correctnessReason(
  trajectory: Trajectory,
  options: { minReward?: number; useVerdicts?: boolean } = {},
): string | null {
  const correct = isCorrect(trajectory, options);
  if (correct === null) return "no verdict or reward to verify correctness (score or judge the trajectories first)";
  if (!correct) {
    return trajectory.reward && trajectory.verdicts.every((verdict) => verdict.status !== "ok")
      ? `reward ${trajectory.reward.score} below ${options.minReward ?? 1}`
      : "judged incorrect";
  }
  return null;
}

/** Concatenated assistant text (content and reasoning) of a trajectory. */
export function assistantText(trajectory: Trajectory): string {
  return trajectory.messages
    .filter((message) => message.role === "assistant")
    .map((message) => [message.reasoning, message.content].filter(Boolean).join("\n"))
    .join("\n");
}

/** Max count of any contiguous n-gram of whitespace tokens (WebDancer's repetition cap uses n = 10, max 4). */
export function maxNgramCount(text: string, n = 10): number {
  const tokens = text.split(/\s+/).filter((token) => token.length > 0);
  const counts = new Map<string, number>();
  let max = 0;
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join(" ");
    const count = (counts.get(key) ?? 0) + 1;
    counts.set(key, count);
    if (count > max) max = count;
  }
  return max;
}

/** Largest number of identical tool calls (same name and arguments) in a trajectory. */
export function maxRepeatedCalls(trajectory: Trajectory): number {
  const counts = new Map<string, number>();
  let max = 0;
  for (const turn of trajectory.turns) {
    for (const call of turn.toolCalls) {
      const key = `${call.name}\u0000${JSON.stringify(call.arguments)}`;
      const count = (counts.get(key) ?? 0) + 1;
      counts.set(key, count);
      if (count > max) max = count;
    }
  }
  return max;
}

export function toolCallCount(trajectory: Trajectory): number {
  return trajectory.turns.reduce((sum, turn) => sum + turn.toolCalls.length, 0);
}

export interface QualityOptions {
  minTurns?: number;
  maxTurns?: number;
  /** WebSailor RFT keeps trajectories with more than 5 tool calls: minToolCalls 6. */
  minToolCalls?: number;
  maxToolCalls?: number;
  /** Reject when any identical tool call repeats more than this many times. */
  maxRepeatedCalls?: number;
  /** Reject answers longer than this many words. */
  maxAnswerWords?: number;
  /** WebDancer: the max count of any 10-gram must not exceed 4. */
  maxNgramRepeats?: number;
  ngramSize?: number;
}

export const DEFAULT_QUALITY: QualityOptions = { maxNgramRepeats: 4, ngramSize: 10 };

/** Stage 3 (rules only; the LLM quality check is a judge run, outside this module). */
export function qualityReason(trajectory: Trajectory, options: QualityOptions = DEFAULT_QUALITY): string | null {
  const turns = trajectory.turns.length;
  if (options.minTurns !== undefined && turns < options.minTurns) return `${turns} turns < ${options.minTurns}`;
  if (options.maxTurns !== undefined && turns > options.maxTurns) return `${turns} turns > ${options.maxTurns}`;
  const calls = toolCallCount(trajectory);
  if (options.minToolCalls !== undefined && calls < options.minToolCalls)
    return `${calls} tool calls < ${options.minToolCalls}`;
  if (options.maxToolCalls !== undefined && calls > options.maxToolCalls)
    return `${calls} tool calls > ${options.maxToolCalls}`;
  if (options.maxRepeatedCalls !== undefined) {
    const repeated = maxRepeatedCalls(trajectory);
    if (repeated > options.maxRepeatedCalls)
      return `an identical tool call repeats ${repeated} times > ${options.maxRepeatedCalls}`;
  }
  if (options.maxAnswerWords !== undefined && trajectory.prediction) {
    const words = trajectory.prediction.split(/\s+/).filter(Boolean).length;
    if (words > options.maxAnswerWords) return `answer has ${words} words > ${options.maxAnswerWords}`;
  }
  if (options.maxNgramRepeats !== undefined) {
    const n = options.ngramSize ?? 10;
    const repeats = maxNgramCount(assistantText(trajectory), n);
    if (repeats > options.maxNgramRepeats) return `a ${n}-gram repeats ${repeats} times > ${options.maxNgramRepeats}`;
  }
  return null;
}
