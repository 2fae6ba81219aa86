/**
 * The chat template seam of the token path: how a conversation becomes token ids and how the ids of a sampled
 * turn are continued, append-only. Implementations: `JinjaChatTemplate` (a model's own template and tokenizer,
 * from its Hugging Face files) and the in-process policy's word template.
 *
 * Append-only rule (docs/agent.md "Token-exact turns"): after a sampled turn, the next prompt is
 *   previous prompt ++ sampled ids (exactly as sampled, stop token included) ++ continuationIds(observation),
 * where the continuation is the turn's closing (when the sample did not end with it), the observation messages
 * and the next generation prompt, as the template renders them, computed without re-rendering history.
 */
import type { ChatMessage } from "../core/trajectory.js";
import type { ToolDefinition } from "./chat-model.js";

/** How a model writes native tool calls in text: Hermes `<tool_call>{json}</tool_call>` or a bare JSON object. */
export type ToolCallFormat = "hermes" | "json";

export interface ChatTemplate {
  /** Tokenizer / model name recorded in `Trajectory.tokens.tokenizer`. */
  readonly name: string;
  /** Ids that end an assistant turn (eos ids), sampling stops on them. */
  readonly stopTokenIds: readonly number[];
  readonly toolCallFormat: ToolCallFormat;
  /** Ids of a conversation's opening prompt: the messages rendered with the generation prompt added. */
  promptIds(messages: readonly ChatMessage[], tools?: readonly ToolDefinition[]): number[];
  /** Ids appended after a sampled turn (see the append-only rule above). */
  continuationIds(
    observation: readonly ChatMessage[],
    sampled: readonly number[],
    tools?: readonly ToolDefinition[],
  ): number[];
  /** The text of sampled ids (special tokens dropped), which the protocol parses. */
  decode(ids: readonly number[]): string;
  /** Ids of plain text (no special tokens added). */
  encode(text: string): number[];
  /** The text of one token, special tokens included (for servers that take stop strings only). */
  tokenText(id: number): string | undefined;
}
