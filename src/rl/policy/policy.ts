/**
 * The policy interface shared by every backend: the in-process transformer (CPU, jax-js), an
 * OpenAI-compatible sampler (vLLM token-in/token-out) and, later, a remote trainer (Tinker-style
 * forward_backward / optim_step).
 *
 * Alignment convention for every per-token array: for a sequence `ids` of length L, entry t (t ≥ 1)
 * refers to predicting ids[t] from ids[<t]; entry 0 is unused (0). The same indexing is used for the
 * loss weights passed to `backward`, so a weight of 0 at a position means that token adds nothing.
 */

export interface SamplingParams {
  /** Most new tokens for this call. */
  maxTokens: number;
  /** 1 samples from the model distribution; 0 is greedy. */
  temperature: number;
  /** Generation stops after any of these ids (the stop token is kept, as vLLM's include_stop_str_in_output). */
  stopTokenIds?: readonly number[];
  /** Seed for this call (the in-process backend advances its own seeded generator when absent). */
  seed?: number;
}

export interface SampleResult {
  /** Sampled ids, in order, including a stop token when one ended the sample. */
  tokenIds: number[];
  /** Log-probability of each sampled id under the sampling distribution (after temperature). */
  logprobs: number[];
  finishReason: "stop" | "length";
}

export interface SequenceScores {
  /** log π(ids[t] | ids[<t]) at index t; index 0 is 0. */
  logprobs: Float32Array;
  /** Entropy of the next-token distribution that produced ids[t]; index 0 is 0. */
  entropy: Float32Array;
  /** Value estimate of the state after ids[≤t−1] (the state in which ids[t] is chosen); absent without a value head. */
  values?: Float32Array;
}

/** Per-token loss derivatives for `backward` (same alignment as `SequenceScores`). */
export interface TokenWeights {
  /** d(loss)/d(logprob_t). */
  logprob: ArrayLike<number>;
  /** d(loss)/d(value_t) (critic); omitted ⇒ 0. */
  value?: ArrayLike<number>;
  /** d(loss)/d(entropy_t) (entropy bonus); omitted ⇒ 0. */
  entropy?: ArrayLike<number>;
}

export interface BackwardResult {
  /** Σ weights·(logprob, value, entropy) — the surrogate whose gradient was accumulated. */
  objective: number;
  /** Scores computed in the same pass (before the update). */
  scores: SequenceScores[];
}

export interface OptimizerStepResult {
  /** Global L2 norm of the accumulated gradient before clipping. */
  gradNorm: number;
  /** Number of optimizer steps taken so far. */
  step: number;
  learningRate: number;
}

/** Something that can sample token ids with logprobs: every backend. */
export interface SamplingPolicy {
  readonly name: string;
  /** Tokenizer / model the ids belong to (stored in Trajectory.tokens.tokenizer). */
  readonly tokenizerName: string;
  sample(contexts: readonly (readonly number[])[], params: SamplingParams): Promise<SampleResult[]>;
}

/** A policy that can also be trained (in-process, or a remote trainer). */
export interface TrainablePolicy extends SamplingPolicy {
  /** Teacher-forced scores (no gradient). */
  score(sequences: readonly (readonly number[])[]): Promise<SequenceScores[]>;
  /** Accumulate ∇ of Σ weights·(logprob, value, entropy) over the sequences. */
  backward(sequences: readonly (readonly number[])[], weights: readonly TokenWeights[]): Promise<BackwardResult>;
  /** Apply the accumulated gradient (clipped) with the optimizer and clear it. */
  step(): Promise<OptimizerStepResult>;
  /** Write a checkpoint directory (atomically), with optional extra text files inside it. */
  save(directory: string, extraFiles?: Record<string, string>): Promise<void>;
  /** Longest sequence accepted. */
  readonly maxLength: number;
}
