/**
 * The model boundary: a small `ChatModel` interface the agent loop, judges, extractors and synthesis call, and
 * `TokenCompletionModel` for token-in/token-out sampling (RL). Implementations: `OpenAICompatibleChatModel`
 * (HTTP; vLLM, SGLang, Ollama, llama.cpp, OpenAI, OpenRouter, DeepSeek) and anything a user writes.
 */
import type { ChatMessage, ToolCall } from "../core/trajectory.js";

/** A tool offered to the model for native function calling (OpenAI `tools[i].function`). */
export interface ToolDefinition {
  name: string;
  description: string;
  /** JSON schema of the arguments object. */
  parameters: Record<string, unknown>;
}

/** Tools in the OpenAI `tools` shape that servers and chat templates read: `{type: "function", function: {…}}`. */
export function functionTools(tools: readonly ToolDefinition[]) {
  return tools.map((tool) => ({
    type: "function" as const,
    function: { name: tool.name, description: tool.description, parameters: tool.parameters },
  }));
}

export interface ChatRequest {
  messages: ChatMessage[];
  /** Native tools; omit for text protocols. */
  tools?: ToolDefinition[];
  toolChoice?: "auto" | "none" | "required";
  stop?: string[];
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  seed?: number;
  presencePenalty?: number;
  /** `json`: ask for a JSON object (`response_format: {type: "json_object"}`). */
  responseFormat?: "text" | "json";
  /** Override the model name of the endpoint for this call. */
  model?: string;
  /**
   * Ask for sampled token ids, per-token logprobs and prompt token ids (vLLM `logprobs`,
   * `return_tokens_as_token_ids`, `return_token_ids`). Defaults to the endpoint's `tokenIds` setting.
   */
  tokenIds?: boolean;
  /** Stream the reply (SSE); `onDelta` sees text and reasoning as they arrive. */
  stream?: boolean;
  onDelta?: (delta: { text?: string; reasoning?: string }) => void;
  /** Extra JSON fields merged into the request body (server-specific sampling options). */
  extraBody?: Record<string, unknown>;
  /** Mixed into the response-cache key (e.g. the rollout index) so repeated samples are not served one reply. */
  cacheSalt?: string;
}

export interface ChatUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface ChatResponse {
  /** Assistant content (reasoning not included). */
  text: string;
  /** Separate reasoning (`reasoning_content` / `reasoning`), when the server split it out. */
  reasoning?: string;
  toolCalls: ToolCall[];
  /** `stop`, `length`, `tool_calls`, … as the server said. */
  finishReason: string;
  usage: ChatUsage;
  /** Sampled token ids, when requested and returned. */
  tokenIds?: number[];
  /** Sampler logprob per sampled token (aligned with tokenIds). */
  logprobs?: number[];
  /** Prompt token ids the server reported (vLLM `prompt_token_ids`). */
  promptTokenIds?: number[];
  /** Model name the server reported. */
  model?: string;
  /** Cost of this call in USD when a price is known. */
  costUsd?: number;
  /** True when the reply came from the on-disk response cache. */
  cached?: boolean;
}

export interface ChatModel {
  /** Model name, for records. */
  readonly name: string;
  complete(request: ChatRequest, signal?: AbortSignal): Promise<ChatResponse>;
}

/** Token-in/token-out completion (`/v1/completions` with `prompt: int[]`), for RL sampling backends. */
export interface TokenCompletionRequest {
  /** Prompt token ids (no chat template is applied). */
  promptIds: number[];
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  seed?: number;
  stop?: string[];
  /** Stop on these token ids (vLLM `stop_token_ids`). */
  stopTokenIds?: number[];
  /** Samples for the same prompt (`n`). Default 1. */
  n?: number;
  model?: string;
  extraBody?: Record<string, unknown>;
}

export interface TokenCompletionSample {
  text: string;
  tokenIds: number[];
  logprobs: number[];
  finishReason: string;
}

export interface TokenCompletionResponse {
  samples: TokenCompletionSample[];
  promptTokenIds: number[];
  usage: ChatUsage;
  costUsd?: number;
}

export interface TokenCompletionModel {
  readonly name: string;
  completeTokens(request: TokenCompletionRequest, signal?: AbortSignal): Promise<TokenCompletionResponse>;
}
