/**
 * The native-loss update (`--loss-path native`): the server computes the PPO-clip / importance-sampling loss itself
 * (Tinker `ppo` / `importance_sampling`, summed over tokens), so no `forward` pass is needed first. drkit sends each
 * token's advantage times its aggregation weight (token-mean: 1/Σmask; seq-mean-*: per row), which makes the
 * server's sum equal drkit's aggregated loss, with the sampler's logprobs as π_old. The logprobs the server returns
 * are the ones the loss was taken at; drkit's own loss on them gives the step's metrics.
 *
 * Covered: PPO-clip losses without a critic or entropy bonus (grpo, dapo, dr-grpo, rloo, reinforce++,
 * reinforce++-baseline, opo, grpo-passk). verl's dual clip (ratio > 3 with a negative advantage) is not in the
 * server's loss; on-policy ratios never reach it.
 */
import { InputError } from "../../core/errors.js";
import { computeActorObjective } from "../actor-objective.js";
import { aggregationRowWeights } from "../loss-aggregation.js";
import type { TrainingBackend } from "../policy/training-backend.js";
import type { AlgorithmPreset } from "./algorithms.js";
import type { RlOptions } from "./rl-trainer.js";
import { actorLossConfig, batchAdvantages, rolloutAdvantages } from "./step-objective.js";
import { fromSequenceAligned, samplerOldLogProb, type TokenBatch, toSequenceAligned } from "./token-batch.js";

export interface NativeStepMetrics {
  pg_loss: number;
  pg_clipfrac: number;
  pg_clipfrac_lower: number;
  ppo_kl: number;
  entropy: number;
  grad_norm: number;
  logprob_mismatch: number;
}

export async function nativeLossStep(
  backend: TrainingBackend,
  batch: TokenBatch,
  algorithm: AlgorithmPreset,
  options: RlOptions,
  /** Receives each rollout's advantage (for the saved rollouts). */
  onAdvantages?: (byRollout: Map<string, number>) => void,
): Promise<NativeStepMetrics> {
  if (!backend.nativePolicyLoss)
    throw new InputError(`the ${backend.name} backend has no native loss; use --loss-path custom`);
  if (algorithm.lossMode !== "vanilla" || algorithm.critic || options.entropyCoeff !== 0)
    throw new InputError(
      `--loss-path native covers PPO-clip losses without a critic or entropy bonus; ${options.algorithm} takes --loss-path custom`,
    );
  const shape = { rows: batch.rows, columns: batch.columns };
  const advantage = batchAdvantages(batch, algorithm, options);
  onAdvantages?.(rolloutAdvantages(batch, advantage.advantages));
  const config = actorLossConfig(algorithm, options);
  const rowWeights = aggregationRowWeights(batch.lossMask, shape, { mode: algorithm.lossAggMode });
  const scaled = new Float64Array(shape.rows * shape.columns);
  for (let k = 0; k < scaled.length; k++)
    scaled[k] =
      (advantage.advantages[k] as number) *
      (rowWeights[Math.floor(k / shape.columns)] as number) *
      (batch.lossMask[k] as number);
  const clipHigh = config.clipRatioHigh ?? options.clipRatio;
  const scores = await backend.nativePolicyLoss({
    sequences: batch.sequences,
    advantages: batch.sequences.map((_, row) => toSequenceAligned(batch, row, scaled)),
    samplerLogprobs: batch.sequences.map((_, row) => toSequenceAligned(batch, row, batch.samplerLogProb)),
    mask: batch.sequences.map((_, row) => toSequenceAligned(batch, row, batch.lossMask)),
    clip: { low: 1 - options.clipRatio, high: 1 + clipHigh },
  });
  const logProb = fromSequenceAligned(
    batch,
    scores.map((score) => score.logprobs),
  );
  const { oldLogProb, mismatch } = samplerOldLogProb(batch, logProb);
  const actor = computeActorObjective(
    { ...shape, oldLogProb, logProb, advantages: advantage.advantages, responseMask: batch.lossMask },
    config,
  );
  const step = await backend.step();
  return {
    pg_loss: actor.pgLoss,
    pg_clipfrac: actor.metrics.pg_clipfrac,
    pg_clipfrac_lower: actor.metrics.pg_clipfrac_lower,
    ppo_kl: actor.metrics.ppo_kl,
    entropy: 0,
    grad_norm: step.gradNorm,
    logprob_mismatch: mismatch,
  };
}
