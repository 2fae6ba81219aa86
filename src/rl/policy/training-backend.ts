/**
 * The training-backend seam of the RL trainer: what a policy that drkit can both roll out through the agent
 * loop and update must offer. The in-process policy is one (`InProcessBackend`); a Tinker-API server is
 * another. The trainer never depends on a concrete policy.
 *
 * Per-token arrays follow the alignment of `SequenceScores` (entry t scores ids[t] given ids[<t]).
 */
import type { TokenPath } from "../../agent/token-session.js";
import type { BackwardResult, OptimizerStepResult, SequenceScores, TokenWeights } from "./policy.js";

/** Sequence-aligned per-token inputs of a native policy loss (entry t belongs to ids[t]). */
export interface NativePolicyLossInput {
  sequences: readonly (readonly number[])[];
  /** Advantage × aggregation weight; 0 off the trained tokens. */
  advantages: readonly ArrayLike<number>[];
  /** The sampler's logprobs (π_old). */
  samplerLogprobs: readonly ArrayLike<number>[];
  /** 1 on trained tokens. */
  mask: readonly ArrayLike<number>[];
  /** PPO clip thresholds on the ratio; absent: plain importance sampling. */
  clip?: { low: number; high: number };
}

export interface TrainingBackend {
  readonly name: string;
  /**
   * The sampler (current weights) and chat template rollouts use. Called at the start of each rollout phase,
   * after the last optimizer step, so rollouts are on-policy.
   */
  tokenPath(): Promise<TokenPath>;
  /** Teacher-forced log-probabilities (and entropy, values when the backend has them), no gradient. */
  score(sequences: readonly (readonly number[])[]): Promise<SequenceScores[]>;
  /** Accumulate ∇ of Σ weights·(logprob, value, entropy) over the sequences (weights = d loss / d logprob …). */
  backward(sequences: readonly (readonly number[])[], weights: readonly TokenWeights[]): Promise<BackwardResult>;
  /** Apply the accumulated gradient with the optimizer and clear it. */
  step(): Promise<OptimizerStepResult>;
  setLearningRate(learningRate: number): void;
  /** Start a fresh optimizer (a new run from a trained checkpoint). */
  resetOptimizer(): void;
  /** Save weights + optimizer state (and the extra files) as one checkpoint. */
  save(directory: string, extraFiles?: Record<string, string>): Promise<void>;
  /** Whether the backend returns a value head (PPO's critic). */
  readonly hasCritic: boolean;
  /**
   * The server's own PPO-clip / importance-sampling loss (summed over tokens) and its gradient, without a
   * forward pass first; returns the logprobs the loss was taken at. Optional: only remote trainers have one.
   */
  nativePolicyLoss?(input: NativePolicyLossInput): Promise<SequenceScores[]>;
  /** Release server-side resources (a remote model). */
  close?(): Promise<void>;
}
