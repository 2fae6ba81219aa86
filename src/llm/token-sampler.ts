/**
 * Token-in/token-out sampling, the seam of the agent loop's token path: a prompt of ids in, sampled ids with
 * their sampler logprobs out. Implementations: a vLLM/SGLang `/v1/completions` server
 * (`completionTokenSampler`), the in-process policy (`BatchedPolicySampler` in src/rl/policy), and a Tinker
 * sampling client.
 */
import type { TokenCompletionModel } from "./chat-model.js";

export interface TokenSampleRequest {
  promptIds: readonly number[];
  maxTokens: number;
  temperature?: number;
  topP?: number;
  seed?: number;
  /** Stop strings (the sample keeps them, as vLLM's include_stop_str_in_output). */
  stop?: readonly string[];
  /** Stop ids (eos of the chat template); the stop id is kept in the sample. */
  stopTokenIds?: readonly number[];
}

export interface TokenSample {
  /** Sampled ids exactly as sampled, the stop token included. */
  tokenIds: number[];
  /** Sampler logprob of each sampled id. */
  logprobs: number[];
  /** `stop` (a stop string or id ended it) or `length`. */
  finishReason: string;
}

export interface TokenSampler {
  readonly name: string;
  /** Longest prompt + sample the sampler accepts (the in-process policy's maxLength); unknown for servers. */
  readonly maxContextTokens?: number;
  sample(request: TokenSampleRequest, signal?: AbortSignal): Promise<TokenSample>;
}

/** Sample through an OpenAI-compatible `/v1/completions` endpoint with token-id prompts (vLLM, SGLang). */
export function completionTokenSampler(model: TokenCompletionModel): TokenSampler {
  return {
    name: model.name,
    async sample(request, signal) {
      const response = await model.completeTokens(
        {
          promptIds: [...request.promptIds],
          maxTokens: request.maxTokens,
          ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
          ...(request.topP !== undefined ? { topP: request.topP } : {}),
          ...(request.seed !== undefined ? { seed: request.seed } : {}),
          ...(request.stop && request.stop.length > 0 ? { stop: [...request.stop] } : {}),
          ...(request.stopTokenIds && request.stopTokenIds.length > 0
            ? { stopTokenIds: [...request.stopTokenIds] }
            : {}),
        },
        signal,
      );
      const sample = response.samples[0];
      if (!sample) return { tokenIds: [], logprobs: [], finishReason: "length" };
      return { tokenIds: sample.tokenIds, logprobs: sample.logprobs, finishReason: sample.finishReason };
    },
  };
}
