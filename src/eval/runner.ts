/**
 * The evaluation runner: k rollouts per question, run concurrently (p-limit), each finished trajectory
 * scored (EM / F1 / cover-EM, and the judge when one is set) and appended durably to
 * `<run-dir>/trajectories.jsonl` as it completes. A restart skips every (questionId, sample) already
 * stored, so `kill -9` at any moment loses and duplicates nothing. A rollout that throws or passes the
 * per-item timeout is stored with termination `error` / `wall clock limit`; an interrupted one (abort) is
 * not stored and runs again on resume.
 */
import { join } from "node:path";
import pLimit from "p-limit";
import { describeError } from "../core/errors.js";
import { JsonlWriter } from "../core/jsonl-store.js";
import { createProgress } from "../core/progress.js";
import { emptyUsage, type Reward, type Termination, type Trajectory, type Verdict } from "../core/trajectory.js";
import type { Question } from "../data/question.js";
import { stringMetrics } from "../reward/normalize.js";
import type { AnswerJudge, RewardFunction } from "../reward/rewards.js";
import { itemResultFromTrajectory } from "./items.js";
import { type EvalManifest, itemKey, openRunDirectory, readRunTrajectories, TRAJECTORIES_FILE } from "./run-store.js";

/** One rollout of the agent on a question. Must honour `signal`. */
export type Rollout = (question: Question, sample: number, signal: AbortSignal) => Promise<Trajectory>;

export interface EvaluationOptions {
  runDirectory: string;
  manifest: EvalManifest;
  questions: Question[];
  k: number;
  concurrency?: number;
  rollout: Rollout;
  judge?: AnswerJudge & {
    judge(item: {
      question: string;
      prediction: string;
      golds: readonly string[];
      response?: string;
    }): Promise<Verdict>;
  };
  /**
   * A named reward (e.g. `createReward("deepresearch-r1")`) stored as each trajectory's reward instead of
   * the plain `eval-em`; its `em` / `f1` / `cover_em` components are the plain string metrics, so accuracy
   * is computed as without it.
   */
  reward?: RewardFunction;
  /** Per-item wall clock; the rollout is aborted and stored as `wall clock limit`. */
  itemTimeoutMs?: number;
  /** Stop scheduling and abort in-flight rollouts (they are not stored). */
  signal?: AbortSignal;
  quiet?: boolean;
  /** On resume, run again the items stored with termination `error` (a later success replaces them). */
  retryErrors?: boolean;
  /** Called after each stored record. */
  onRecord?: (trajectory: Trajectory) => void;
}

export interface EvaluationSummary {
  runDirectory: string;
  /** Items already stored before this call. */
  skipped: number;
  /** Items run and stored by this call. */
  completed: number;
  /** Items that ended in error or timeout. */
  errors: number;
  /** The message of the first failed rollout. */
  firstError?: string;
  /** True when the first rollouts all failed with the same error and the rest were left for a resume. */
  stoppedEarly: boolean;
  /** Items not finished because of the abort signal. */
  interrupted: number;
  total: number;
}

function failedTrajectory(
  question: Question,
  sample: number,
  termination: Termination,
  code: string,
  message: string,
): Trajectory {
  const now = new Date().toISOString();
  return {
    version: 1,
    id: `${question.id}#${sample}`,
    questionId: question.id,
    question: question.question,
    goldAnswers: question.goldAnswers,
    protocol: "unknown",
    sample,
    messages: [],
    turns: [],
    usage: emptyUsage(),
    timings: { startedAt: now, endedAt: now, durationMs: 0 },
    termination,
    prediction: null,
    verdicts: [],
    error: { code, message },
    metadata: {},
  };
}

/** The final assistant text (for graders that read the whole response). */
function finalResponse(trajectory: Trajectory): string | undefined {
  const last = trajectory.turns[trajectory.turns.length - 1]?.text;
  if (last) return last;
  return [...trajectory.messages].reverse().find((message) => message.role === "assistant")?.content;
}

/**
 * The stored reward: plain string metrics as `eval-em`, or the named reward with the string metrics
 * overriding its `em` / `f1` / `cover_em` (a reward's own extraction can differ, e.g. deepresearch-r1 finds
 * no answer without literal tags). A reward that fails (a judge error) falls back to `eval-em` and the
 * message is kept in `metadata.rewardError`, so the rollout is never lost.
 */
async function storedReward(
  trajectory: Trajectory,
  components: Record<string, number>,
  reward: RewardFunction | undefined,
): Promise<{ reward: Reward; error?: string }> {
  const plain: Reward = { name: "eval-em", score: components.em ?? 0, components };
  if (!reward) return { reward: plain };
  try {
    const scored = await reward.score(trajectory);
    return { reward: { name: scored.name, score: scored.score, components: { ...scored.components, ...components } } };
  } catch (error) {
    return { reward: plain, error: `${reward.name}: ${describeError(error)}` };
  }
}

/** Attach string metrics (or the named reward with them) and the judge verdict to a finished trajectory. */
export async function scoreTrajectory(
  trajectory: Trajectory,
  question: Question,
  judge?: EvaluationOptions["judge"],
  reward?: RewardFunction,
): Promise<Trajectory> {
  const components = stringMetrics(trajectory.prediction, question.goldAnswers, ["em", "f1", "cover_em"]);
  const verdicts = [...trajectory.verdicts];
  if (judge && trajectory.prediction !== null) {
    const response = finalResponse(trajectory);
    verdicts.push(
      await judge.judge({
        question: question.question,
        prediction: trajectory.prediction,
        golds: question.goldAnswers,
        ...(response !== undefined ? { response } : {}),
      }),
    );
  }
  const withGolds: Trajectory = { ...trajectory, questionId: question.id, goldAnswers: question.goldAnswers, verdicts };
  const stored = await storedReward(withGolds, components, reward);
  return {
    ...withGolds,
    reward: stored.reward,
    metadata: {
      ...trajectory.metadata,
      source: question.source,
      ...(question.level !== undefined ? { level: question.level } : {}),
      ...(judge ? { judge: judge.name } : {}),
      ...(stored.error !== undefined ? { rewardError: stored.error } : {}),
    },
  };
}

export async function runEvaluation(options: EvaluationOptions): Promise<EvaluationSummary> {
  openRunDirectory(options.runDirectory, options.manifest);
  const stored = readRunTrajectories(options.runDirectory);
  const done = new Set(
    stored
      .filter((trajectory) => !(options.retryErrors && (trajectory.termination === "error" || trajectory.error)))
      .map((trajectory) => itemKey(trajectory.questionId ?? trajectory.id, trajectory.sample)),
  );
  const retried = new Set(
    stored
      .filter((trajectory) => !done.has(itemKey(trajectory.questionId ?? trajectory.id, trajectory.sample)))
      .map((trajectory) => itemKey(trajectory.questionId ?? trajectory.id, trajectory.sample)),
  );
  const work: { question: Question; sample: number }[] = [];
  for (let sample = 0; sample < options.k; sample++)
    for (const question of options.questions)
      if (!done.has(itemKey(question.id, sample))) work.push({ question, sample });
  const total = options.questions.length * options.k;
  const skipped = total - work.length;
  const writer = new JsonlWriter(join(options.runDirectory, TRAJECTORIES_FILE));
  // Running totals for the progress line (accuracy so far over scored items, and spend).
  const totals = { scored: 0, correct: 0, spend: 0 };
  const count = (trajectory: Trajectory) => {
    const item = itemResultFromTrajectory(trajectory);
    if (item.correct !== null) {
      totals.scored += 1;
      if (item.correct) totals.correct += 1;
    }
    totals.spend += item.costUsd;
  };
  for (const trajectory of stored)
    if (!retried.has(itemKey(trajectory.questionId ?? trajectory.id, trajectory.sample))) count(trajectory);
  const fields = () => ({
    acc: `${totals.scored ? ((totals.correct / totals.scored) * 100).toFixed(1) : "0.0"}%`,
    spend: `$${totals.spend.toFixed(4)}`,
  });
  const progress = createProgress({
    label: "eval",
    total,
    start: skipped,
    quiet: options.quiet,
    fields: fields(),
  });
  const limit = pLimit(Math.max(1, options.concurrency ?? 4));
  let completed = 0;
  let errors = 0;
  let interrupted = 0;
  let firstError: string | undefined;
  let stoppedEarly = false;
  const runOne = async ({ question, sample }: { question: Question; sample: number }) => {
    if (options.signal?.aborted || stoppedEarly) {
      interrupted += 1;
      return;
    }
    const controller = new AbortController();
    const onAbort = () => controller.abort(options.signal?.reason);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    let timedOut = false;
    const timer =
      options.itemTimeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true;
            controller.abort(new Error(`item timeout after ${options.itemTimeoutMs} ms`));
          }, options.itemTimeoutMs)
        : undefined;
    let trajectory: Trajectory;
    try {
      trajectory = await options.rollout(question, sample, controller.signal);
      if (timedOut) trajectory = { ...trajectory, termination: "wall clock limit" };
    } catch (error) {
      if (options.signal?.aborted && !timedOut) {
        interrupted += 1;
        return;
      }
      trajectory = timedOut
        ? failedTrajectory(
            question,
            sample,
            "wall clock limit",
            "timeout",
            `no result within ${options.itemTimeoutMs} ms`,
          )
        : failedTrajectory(
            question,
            sample,
            "error",
            (error as { code?: string }).code ?? "error",
            describeError(error),
          );
    } finally {
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
    }
    if (options.signal?.aborted && !timedOut) {
      // Interrupted by the user: do not store a cut-off rollout; it runs again on resume.
      interrupted += 1;
      return;
    }
    trajectory = { ...trajectory, sample, questionId: question.id };
    const scored = await scoreTrajectory(trajectory, question, options.judge, options.reward);
    writer.append(scored);
    if (scored.termination === "error" || scored.error) errors += 1;
    firstError ??= scored.error?.message;
    completed += 1;
    // Every rollout so far failed the same way (a server that is down, a bad key): stop instead of failing them all.
    if (completed >= SAME_FAILURES_TO_STOP && errors === completed && scored.error?.message === firstError)
      stoppedEarly = true;
    count(scored);
    progress.increment(1, fields());
    options.onRecord?.(scored);
  };
  try {
    await Promise.all(work.map((item) => limit(() => runOne(item))));
  } finally {
    writer.close();
    progress.stop();
  }
  return {
    runDirectory: options.runDirectory,
    skipped,
    completed,
    errors,
    interrupted,
    total,
    ...(firstError !== undefined ? { firstError } : {}),
    stoppedEarly,
  };
}

/** Rollouts that must all fail with one message before a run stops early. */
export const SAME_FAILURES_TO_STOP = 8;
