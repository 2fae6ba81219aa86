/**
 * A sampling backend over an OpenAI-compatible server with token-in/token-out (vLLM `/v1/completions`
 * with `prompt: int[]`, `return_token_ids`, `logprobs`): rollouts of large models keep the exact sampled
 * ids and sampler logprobs, and a Tinker-API trainer (src/rl/tinker) can consume them.
 */
import { ProviderError } from "../../core/errors.js";
import type { TokenCompletionModel } from "../../llm/chat-model.js";
import type { SampleResult, SamplingParams, SamplingPolicy } from "./policy.js";

export interface OpenAISamplingPolicyOptions {
  /** The agent engineer's client (`OpenAICompatibleChatModel` implements `completeTokens`). */
  model: TokenCompletionModel;
  /** Name of the tokenizer the server uses (recorded in Trajectory.tokens.tokenizer). */
  tokenizerName: string;
  /** Context length of the served model. */
  maxLength: number;
}

export class OpenAISamplingPolicy implements SamplingPolicy {
  readonly name: string;
  readonly tokenizerName: string;
  readonly maxLength: number;

  constructor(private readonly options: OpenAISamplingPolicyOptions) {
    this.name = `openai:${options.model.name}`;
    this.tokenizerName = options.tokenizerName;
    this.maxLength = options.maxLength;
  }

  async sample(contexts: readonly (readonly number[])[], params: SamplingParams): Promise<SampleResult[]> {
    return Promise.all(
      contexts.map(async (context, index) => {
        const response = await this.options.model.completeTokens({
          promptIds: [...context],
          maxTokens: params.maxTokens,
          temperature: params.temperature,
          seed: params.seed === undefined ? undefined : params.seed + index,
          stopTokenIds: params.stopTokenIds ? [...params.stopTokenIds] : undefined,
        });
        const sample = response.samples[0];
        if (!sample) throw new ProviderError("the server returned no completion for a token-in request");
        if (sample.tokenIds.length !== sample.logprobs.length) {
          throw new ProviderError(
            `the server returned ${sample.tokenIds.length} token ids but ${sample.logprobs.length} logprobs; start vLLM with token id support (return_token_ids)`,
          );
        }
        return {
          tokenIds: sample.tokenIds,
          logprobs: sample.logprobs,
          finishReason: sample.finishReason === "stop" ? "stop" : "length",
        } satisfies SampleResult;
      }),
    );
  }
}
