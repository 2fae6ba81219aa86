/** Public types of the agent loop: options of `runAgent`, limits and live events. */

import type { Termination, ToolCall, ToolResult, Trajectory, Usage } from "../core/trajectory.js";
import type { ChatModel } from "../llm/chat-model.js";
import type { Tool } from "../tools/tool.js";
import type { ContextStrategy } from "./context-strategy.js";
import type { TokenPath } from "./token-session.js";

export type ProtocolName = "search-r1" | "react" | "tools";
/** Every protocol name, for CLI choices and messages. */
export const PROTOCOL_NAMES: readonly ProtocolName[] = ["react", "search-r1", "tools"];

export interface AgentLimits {
  /** Most model calls (turns). Default 30. */
  maxTurns?: number;
  /**
   * Context cap in tokens: once the conversation passes it, the forced-final-answer turn runs (Tongyi rule).
   * Counted from the server's prompt+completion usage (or ~4 chars/token when the server reports none).
   */
  maxContextTokens?: number;
  /** Wall clock for the whole episode. */
  maxWallClockMs?: number;
  /** Money for the whole episode (needs prices in the config or a model that reports cost). */
  maxCostUsd?: number;
  /** `max_tokens` of each model call (token path default: 4096, within the context cap). */
  maxTokensPerTurn?: number;
  /** Observation text cap in characters (longer tool outputs are cut in the middle). Default 20,000. */
  maxObservationChars?: number;
  /** Per tool call timeout. Default 120 s. */
  toolTimeoutMs?: number;
}

export interface SamplingOptions {
  temperature?: number;
  topP?: number;
  seed?: number;
  presencePenalty?: number;
}

/** Live progress of one run (discriminated by `type`). */
export type AgentEvent =
  | { type: "run-start"; trajectoryId: string; question: string; protocol: ProtocolName }
  | { type: "step-start"; turn: number }
  | { type: "model-delta"; turn: number; text?: string; reasoning?: string }
  | { type: "think"; turn: number; text: string }
  | { type: "tool-call"; turn: number; call: ToolCall }
  | { type: "tool-result"; turn: number; result: ToolResult }
  | { type: "invalid-action"; turn: number; feedback: string }
  | { type: "answer"; turn: number; answer: string }
  | { type: "summary"; turn: number; summary: string; segment: number }
  | { type: "step-end"; turn: number; usage: Usage }
  | { type: "run-end"; termination: Termination; prediction: string | null };

export interface RunAgentOptions {
  question: string;
  questionId?: string;
  goldAnswers?: string[];
  protocol: ProtocolName;
  /** The chat path: a chat-completions model (hosted APIs). Give this or `token`. */
  model?: ChatModel;
  /**
   * The token path: a token sampler with the model's chat template. drkit renders the chat itself, samples
   * token-in/token-out and appends observation ids, so `Trajectory.tokens` is exact by construction.
   */
  token?: TokenPath;
  /** Tools offered to the agent (search-r1 uses the one named `search`). */
  tools: Tool[];
  limits?: AgentLimits;
  sampling?: SamplingOptions;
  signal?: AbortSignal;
  onEvent?: (event: AgentEvent) => void;
  /** Rollout index within a group (Pass@k, GRPO). Default 0. */
  sample?: number;
  /** Ask the model server for token ids / logprobs (overrides the model's default). */
  tokenIds?: boolean;
  /** Stream model output (emits `model-delta` events). Default false. */
  stream?: boolean;
  /** Override the protocol's system / instruction prompt. */
  systemPrompt?: string;
  /** Date shown in the react system prompt (YYYY-MM-DD); default today. */
  currentDate?: string;
  /** Tokenizer for the token view of observations (when known, observation spans are recorded). */
  tokenizer?: { name: string; encode(text: string): number[] };
  /** Feedback after a turn with no valid action (search-r1, react); default the protocol's wording. */
  invalidFeedback?: string;
  /** Extra fields stored in `trajectory.metadata`. */
  metadata?: Record<string, unknown>;
  /**
   * What the model sees of the history (recorded in `metadata.context`): `{strategy: "keep-last-k", k}` replaces the
   * tool results of all but the k most recent tool turns by a placeholder (the trajectory keeps them; chat path only:
   * the token path never rewrites history). `{strategy: "summarize", thresholdTokens}` summarises the history past
   * that context size and restarts from the question and the summary, on either path; earlier segments go to
   * `trajectory.segments`.
   */
  context?: ContextStrategy;
  /** The model that writes `summarize` summaries; default the agent's chat model (token path: the policy itself). */
  summarizer?: ChatModel;
  /** Trajectory id; default a random UUID. */
  id?: string;
}

export type RunAgent = (options: RunAgentOptions) => Promise<Trajectory>;
