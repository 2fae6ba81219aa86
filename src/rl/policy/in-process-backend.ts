/** The in-process policy as a `TrainingBackend`: its word template and a batched sampler over it. */
import type { TokenPath } from "../../agent/token-session.js";
import { BatchedPolicySampler } from "./batched-sampler.js";
import type { InProcessPolicy } from "./in-process-policy.js";
import type { BackwardResult, OptimizerStepResult, SequenceScores, TokenWeights } from "./policy.js";
import type { TrainingBackend } from "./training-backend.js";
import { WordChatTemplate } from "./word-chat-template.js";

export class InProcessBackend implements TrainingBackend {
  readonly name: string;
  readonly template: WordChatTemplate;
  readonly hasCritic = true;

  constructor(readonly policy: InProcessPolicy) {
    this.name = policy.name;
    this.template = new WordChatTemplate(policy.tokenizer);
  }

  /** A fresh batched sampler each rollout phase (its batch counter restarts, so seeds repeat on resume). */
  async tokenPath(): Promise<TokenPath> {
    const tokenizer = this.policy.tokenizer;
    const sampler = new BatchedPolicySampler(this.policy, (stop) => {
      const ids = tokenizer.encode(stop);
      return ids.length === 1 && ids[0] !== tokenizer.id("<unk>") ? ids[0] : undefined;
    });
    return { sampler, template: this.template };
  }

  score(sequences: readonly (readonly number[])[]): Promise<SequenceScores[]> {
    return this.policy.score(sequences);
  }

  backward(sequences: readonly (readonly number[])[], weights: readonly TokenWeights[]): Promise<BackwardResult> {
    return this.policy.backward(sequences, weights);
  }

  step(): Promise<OptimizerStepResult> {
    return this.policy.step();
  }

  setLearningRate(learningRate: number): void {
    this.policy.setLearningRate(learningRate);
  }

  resetOptimizer(): void {
    this.policy.resetOptimizer();
  }

  save(directory: string, extraFiles?: Record<string, string>): Promise<void> {
    return this.policy.save(directory, extraFiles);
  }
}
