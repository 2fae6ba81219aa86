/**
 * The training-backend seam of the RL trainer: what a policy that drkit can both roll out through the agent
 * loop and update must offer. The in-process policy is one (`InProcessBackend`); a Tinker-API server is
 * another. The trainer never depends on a concrete policy.
 *
 * Per-token arrays follow the alignment of `SequenceScores` (entry t scores ids[t] given ids[<t]).
 */
import type { TokenPath } from "../../agent/token-session.js";
import type { BackwardResult, OptimizerStepResult, SequenceScores, TokenWeights } from "./policy.js";

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
  /** Release server-side resources (a remote model). */
  close?(): Promise<void>;
}
