/**
 * The RL loop over any `TrainingBackend` (the in-process policy, a Tinker-API server):
 *   rollouts through the agent loop (token path, n per prompt, any protocol, tools and reward) → token batch → advantages (registry) → actor objective
 *   (policy loss + entropy [+ KL]) and, for PPO, the clipped value loss → per-token weights →
 *   policy.backward → policy.step, with metrics per step, periodic held-out evaluation, checkpoints
 *   and exact resume (per-step seeds).
 */

import type { ContextStrategy } from "../../agent/context-strategy.js";
import type { ProtocolName } from "../../agent/types.js";
import { InputError, TrainingError } from "../../core/errors.js";
import { createProgress } from "../../core/progress.js";
import { Random } from "../../core/random.js";
import type { Trajectory } from "../../core/trajectory.js";
import { createReward, type RewardFunction } from "../../reward/rewards.js";
import { computeActorObjective } from "../actor-objective.js";
import type { TokenWeights } from "../policy/policy.js";
import type { TrainingBackend } from "../policy/training-backend.js";
import { hasModelTokens } from "../rollout-segments.js";
import { filterZeroVarianceGroups } from "../sampling-filters.js";
import { groupRows, maskedMean } from "../tensor.js";
import { computeValueLoss } from "../value-loss.js";
import { agentRollouts, type TrainingTask } from "./agent-rollouts.js";
import { getAlgorithm } from "./algorithms.js";
import { nativeLossStep } from "./native-loss-step.js";
import type { RunDirectory } from "./run-directory.js";
import { actorLossConfig, batchAdvantages, rolloutAdvantages } from "./step-objective.js";
import {
  buildTokenBatch,
  fromSequenceAligned,
  samplerOldLogProb,
  selectRows,
  type TokenBatch,
  toSequenceAligned,
} from "./token-batch.js";

export type { TrainingTask } from "./agent-rollouts.js";

export interface RlOptions {
  algorithm: string;
  /** Agent protocol of the rollouts (search-r1, react, tools). */
  protocol: ProtocolName;
  /**
   * `custom` (default): current logprobs from the backend, drkit's loss, backward with d(loss)/d(logprob) — any
   * loss. `native`: the backend's own PPO-clip loss on scaled advantages, no forward pass (Tinker; src/rl/trainer/
   * native-loss-step.ts).
   */
  lossPath?: "custom" | "native";
  steps: number;
  groupSize: number;
  promptsPerStep: number;
  learningRate: number;
  clipRatio: number;
  clipRatioHigh?: number;
  entropyCoeff: number;
  valueCoeff: number;
  clipRangeValue: number;
  gamma: number;
  lam: number;
  maxTurns: number;
  maxTokensPerTurn: number;
  temperature: number;
  seed: number;
  /** Context strategy of the rollouts (summarize: each segment is a sample, src/rl/rollout-segments.ts). */
  context?: ContextStrategy;
  evalEvery: number;
  /** Held-out questions per evaluation (0 = all). */
  evalSize: number;
  maskObservations: boolean;
  checkpointEvery: number;
  saveRollouts: boolean;
  quiet: boolean;
  /**
   * Training reward (a `createReward` name from src/reward: `em`, `deepresearch-r1`, `search-r1-format`, …).
   * Default `em`. Held-out evaluation always reports exact match.
   */
  reward?: string;
}

export const DEFAULT_RL_OPTIONS: RlOptions = {
  algorithm: "grpo",
  protocol: "search-r1",
  steps: 40,
  groupSize: 4,
  promptsPerStep: 8,
  learningRate: 3e-4,
  clipRatio: 0.2,
  entropyCoeff: 0,
  valueCoeff: 0.5,
  clipRangeValue: 0.5,
  gamma: 1,
  lam: 1,
  maxTurns: 3,
  maxTokensPerTurn: 6,
  temperature: 1,
  seed: 0,
  evalEvery: 10,
  evalSize: 0,
  maskObservations: true,
  checkpointEvery: 5,
  saveRollouts: false,
  quiet: false,
};

export interface StepMetrics {
  step: number;
  reward: number;
  accuracy: number;
  pg_loss: number;
  pg_clipfrac: number;
  pg_clipfrac_lower: number;
  ppo_kl: number;
  entropy: number;
  vf_loss?: number;
  vf_clipfrac?: number;
  grad_norm: number;
  response_length: number;
  turns: number;
  searches: number;
  groups_kept: number;
  /** Mean |trainer − sampler| logprob over the sampled tokens (0 when both score the same weights identically). */
  logprob_mismatch: number;
  tokens_per_second: number;
  seconds: number;
  rollout_seconds: number;
  train_seconds: number;
  /** The sampler the rollouts came from (the Tinker sampling session, or the in-process policy). */
  sampler: string;
  /** Rollouts that ended before sampling a token (a sampler error): left out of the batch. */
  failed_rollouts: number;
}

/** Rollouts with at least one sampled token; when none has one, the step fails with the first error. */
export function usableRollouts(trajectories: readonly Trajectory[], step: number): Trajectory[] {
  const usable = trajectories.filter(
    (t) => hasModelTokens(t.tokens) || (t.segments ?? []).some((s) => hasModelTokens(s.tokens)),
  );
  if (usable.length === 0 && trajectories.length > 0) {
    const failure = trajectories.find((t) => t.error)?.error;
    throw new TrainingError(
      `every rollout of step ${step} failed before sampling a token${failure ? `: ${failure.message}` : ""}`,
    );
  }
  return usable;
}

export interface EvalMetrics {
  step: number;
  exact_match: number;
  questions: number;
  answered: number;
  searches: number;
  turns: number;
}

/** A seed derived from the run seed and a step (stable across resumes). */
export function stepSeed(seed: number, step: number, salt = 0): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (step + 0x85ebca6b), 0xc2b2ae35) >>> 0;
  h = Math.imul(h ^ (salt + 0x27d4eb2f), 0x165667b1) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Greedy rollouts on held-out questions, scored by exact match. */
export async function evaluatePolicy(
  backend: TrainingBackend,
  task: TrainingTask,
  options: Pick<RlOptions, "maxTurns" | "maxTokensPerTurn" | "evalSize" | "seed" | "protocol" | "context">,
  step: number,
): Promise<{ metrics: EvalMetrics; trajectories: Trajectory[] }> {
  const questions = options.evalSize > 0 ? task.heldOut.slice(0, options.evalSize) : task.heldOut;
  const trajectories = await agentRollouts(await backend.tokenPath(), task, questions, {
    protocol: options.protocol,
    groupSize: 1,
    maxTurns: options.maxTurns,
    maxTokensPerTurn: options.maxTokensPerTurn,
    temperature: 0,
    seed: stepSeed(options.seed, step, 99),
    step,
    phase: "eval",
    ...(options.context ? { context: options.context } : {}),
  });
  return {
    trajectories,
    metrics: {
      step,
      exact_match: mean(trajectories.map((t) => t.reward?.score ?? 0)),
      questions: trajectories.length,
      answered: trajectories.filter((t) => t.prediction !== null).length,
      searches: mean(trajectories.map((t) => Number(t.metadata.searches ?? 0))),
      turns: mean(trajectories.map((t) => t.turns.length)),
    },
  };
}

/** Record each trained rollout's advantage in its metadata (saved with `--save-rollouts`; groups filtered out have none). */
function annotateAdvantages(trajectories: readonly Trajectory[], byRollout: Map<string, number>): void {
  for (const trajectory of trajectories) {
    const value = byRollout.get(trajectory.id);
    if (value !== undefined) trajectory.metadata.advantage = value;
  }
}

/** One RL step on a batch of rollouts. Returns the step's metrics. */
export async function trainOnTrajectories(
  backend: TrainingBackend,
  trajectories: readonly Trajectory[],
  options: RlOptions,
): Promise<
  Omit<
    StepMetrics,
    "step" | "tokens_per_second" | "seconds" | "rollout_seconds" | "train_seconds" | "sampler" | "failed_rollouts"
  >
> {
  const algorithm = getAlgorithm(options.algorithm);
  let batch: TokenBatch = buildTokenBatch(trajectories, { maskObservations: options.maskObservations });
  let groupsKept = groupRows(batch.index).size;
  if (algorithm.filterGroups) {
    // DAPO dynamic sampling: drop the groups whose scores are all equal (no learning signal).
    const rowsOfBatch = Array.from({ length: batch.rows }, (_, row) => row);
    const filtered = filterZeroVarianceGroups(rowsOfBatch, {
      groupOf: (row) => batch.index[row] as string,
      metricOf: (row) => batch.scores[row] as number,
    });
    groupsKept = filtered.keptGroups.length;
    batch = selectRows(batch, filtered.kept);
  }
  const summary = {
    reward: mean(trajectories.map((t) => t.reward?.score ?? 0)),
    accuracy: mean(trajectories.map((t) => t.reward?.components.em ?? t.reward?.score ?? 0)),
    response_length: mean(trajectories.map((t) => t.usage.completionTokens)),
    turns: mean(trajectories.map((t) => t.turns.length)),
    searches: mean(trajectories.map((t) => Number(t.metadata.searches ?? 0))),
    groups_kept: groupsKept,
  };
  if (batch.rows === 0) {
    return {
      ...summary,
      pg_loss: 0,
      pg_clipfrac: 0,
      pg_clipfrac_lower: 0,
      ppo_kl: 0,
      entropy: 0,
      grad_norm: 0,
      logprob_mismatch: 0,
    };
  }
  if (options.lossPath === "native")
    return {
      ...summary,
      ...(await nativeLossStep(backend, batch, algorithm, options, (byRollout) =>
        annotateAdvantages(trajectories, byRollout),
      )),
    };
  const current = await backend.score(batch.sequences);
  const logProb = fromSequenceAligned(
    batch,
    current.map((s) => s.logprobs),
  );
  const entropy = fromSequenceAligned(
    batch,
    current.map((s) => s.entropy),
  );
  const values = algorithm.critic
    ? fromSequenceAligned(
        batch,
        current.map((s) => s.values ?? new Float32Array(s.logprobs.length)),
      )
    : undefined;
  const { oldLogProb, mismatch } = samplerOldLogProb(batch, logProb);
  const shape = { rows: batch.rows, columns: batch.columns };
  const advantage = batchAdvantages(batch, algorithm, options, values);
  annotateAdvantages(trajectories, rolloutAdvantages(batch, advantage.advantages));
  const actor = computeActorObjective(
    {
      ...shape,
      oldLogProb,
      logProb,
      advantages: advantage.advantages,
      responseMask: batch.lossMask,
      entropy,
    },
    actorLossConfig(algorithm, options),
  );
  let valueGrad: Float64Array | undefined;
  let valueLoss: { loss: number; vf_clipfrac: number } | undefined;
  if (algorithm.critic && values) {
    const out = computeValueLoss(
      { ...shape, valuePredictions: values, values, returns: advantage.returns, responseMask: batch.lossMask },
      options.clipRangeValue,
    );
    valueLoss = out;
    valueGrad = out.gradValues.map((g) => g * options.valueCoeff);
  }
  const weights: TokenWeights[] = batch.sequences.map((_, row) => ({
    logprob: toSequenceAligned(batch, row, actor.gradLogProb),
    entropy: actor.gradEntropy ? toSequenceAligned(batch, row, actor.gradEntropy) : undefined,
    value: valueGrad ? toSequenceAligned(batch, row, valueGrad) : undefined,
  }));
  await backend.backward(batch.sequences, weights);
  const stepResult = await backend.step();
  return {
    ...summary,
    pg_loss: actor.pgLoss,
    pg_clipfrac: actor.metrics.pg_clipfrac,
    pg_clipfrac_lower: actor.metrics.pg_clipfrac_lower,
    ppo_kl: actor.metrics.ppo_kl,
    entropy: maskedMean(entropy, batch.responseMask),
    ...(valueLoss ? { vf_loss: valueLoss.loss, vf_clipfrac: valueLoss.vf_clipfrac } : {}),
    grad_norm: stepResult.gradNorm,
    logprob_mismatch: mismatch,
  };
}

/**
 * Run RL from `startStep` (0 for a fresh run) to `options.steps`, writing into `run`. The caller has
 * loaded the policy (fresh, from --init, or from the run's checkpoint).
 */
export async function runRl(
  backend: TrainingBackend,
  task: TrainingTask,
  run: RunDirectory,
  options: RlOptions,
  startStep: number,
  /** The training reward when it needs more than a name (an LLM judge); default `createReward(options.reward)`. */
  rewardFunction?: RewardFunction,
): Promise<{ lastEval?: EvalMetrics; steps: number }> {
  if (getAlgorithm(options.algorithm).critic && !backend.hasCritic)
    throw new InputError(`${options.algorithm} needs a value head, which the ${backend.name} backend does not have`);
  if (options.temperature !== 1) {
    // π_old is the sampler's log-probability (after temperature) while the policy scores log πθ at
    // temperature 1: any other temperature would make every ratio πθ/π_old wrong.
    throw new InputError(
      `RL rollouts must sample at temperature 1 (got ${options.temperature}): the in-process policy scores log-probabilities at temperature 1`,
    );
  }
  const trainingReward: RewardFunction = rewardFunction ?? createReward(options.reward ?? "em");
  backend.setLearningRate(options.learningRate);
  let lastEval: EvalMetrics | undefined;
  const evaluate = async (step: number) => {
    const result = await evaluatePolicy(backend, task, options, step);
    run.evaluations.append(result.metrics);
    if (options.saveRollouts) for (const trajectory of result.trajectories) run.rollouts.append(trajectory);
    lastEval = result.metrics;
  };
  if (startStep === 0) {
    // A start killed before its first step left at most a step-0 evaluation: drop it, it is re-done now.
    run.truncateAfter(-1);
    // A new run starts a fresh optimizer even from a trained checkpoint (--init): Adam moments left by
    // SFT would scale RL's first hundreds of updates by SFT's gradient magnitudes.
    backend.resetOptimizer();
    if (options.evalEvery > 0) await evaluate(0);
    await run.saveCheckpoint(backend, 0);
  }
  const progress = createProgress({
    label: `train ${options.algorithm}`,
    total: options.steps,
    start: startStep,
    quiet: options.quiet,
  });
  for (let step = startStep + 1; step <= options.steps; step++) {
    const started = Date.now();
    const picker = new Random(stepSeed(options.seed, step, 1));
    const questions = picker.sample(task.train, options.promptsPerStep);
    const path = await backend.tokenPath();
    const trajectories = await agentRollouts(path, task, questions, {
      protocol: options.protocol,
      groupSize: options.groupSize,
      maxTurns: options.maxTurns,
      maxTokensPerTurn: options.maxTokensPerTurn,
      temperature: options.temperature,
      seed: stepSeed(options.seed, step, 2),
      step,
      reward: trainingReward,
      ...(options.context ? { context: options.context } : {}),
    });
    const rolloutSeconds = (Date.now() - started) / 1000;
    const usable = usableRollouts(trajectories, step);
    const metrics = await trainOnTrajectories(backend, usable, options);
    const seconds = (Date.now() - started) / 1000;
    const tokens = trajectories.reduce((sum, t) => sum + (t.usage.totalTokens ?? 0), 0);
    const record: StepMetrics = {
      step,
      ...metrics,
      tokens_per_second: tokens / seconds,
      seconds,
      rollout_seconds: rolloutSeconds,
      train_seconds: seconds - rolloutSeconds,
      sampler: path.sampler.name,
      failed_rollouts: trajectories.length - usable.length,
    };
    if (options.saveRollouts) for (const trajectory of trajectories) run.rollouts.append(trajectory);
    run.metrics.append(record);
    if (options.evalEvery > 0 && (step % options.evalEvery === 0 || step === options.steps)) await evaluate(step);
    if (step % options.checkpointEvery === 0 || step === options.steps) {
      await run.saveCheckpoint(backend, step);
    }
    progress.increment(1, {
      reward: record.reward.toFixed(2),
      ...(lastEval ? { heldout_em: lastEval.exact_match.toFixed(2) } : {}),
    });
  }
  progress.stop();
  return { lastEval, steps: options.steps };
}
