/**
 * The in-process policy's own small chat template over its word tokenizer. The policy's context is tens of
 * tokens, so the template renders only what it must read: `<bos>`, then each user / tool message's words;
 * system messages (instructions and tool lists) are left out. Observations append their words after a
 * sampled turn; a turn ends with `<eos>` or a protocol stop tag. Decoding joins words with spaces and closes
 * the spaces inside double quotes, so a tool call the policy writes reads back as JSON
 * (`{"name": "search", …}`).
 */
import type { ChatMessage } from "../../core/trajectory.js";
import type { ChatTemplate, ToolCallFormat } from "../../llm/chat-template.js";
import type { WordTokenizer } from "./tokenizer.js";

function words(tokenizer: WordTokenizer, messages: readonly ChatMessage[]): number[] {
  const ids: number[] = [];
  for (const message of messages) if (message.role !== "system") ids.push(...tokenizer.encode(message.content));
  return ids;
}

export class WordChatTemplate implements ChatTemplate {
  readonly name: string;
  readonly stopTokenIds: readonly number[];
  readonly toolCallFormat: ToolCallFormat = "hermes";
  private readonly hidden: ReadonlySet<number>;

  constructor(readonly tokenizer: WordTokenizer) {
    this.name = tokenizer.name;
    this.stopTokenIds = [tokenizer.id("<eos>")];
    this.hidden = new Set([tokenizer.id("<pad>"), tokenizer.id("<bos>"), tokenizer.id("<eos>")]);
  }

  promptIds(messages: readonly ChatMessage[]): number[] {
    return [this.tokenizer.id("<bos>"), ...words(this.tokenizer, messages)];
  }

  continuationIds(observation: readonly ChatMessage[]): number[] {
    return words(this.tokenizer, observation);
  }

  decode(ids: readonly number[]): string {
    const text = this.tokenizer.decode(ids.filter((id) => !this.hidden.has(id)));
    return text.replace(/"\s*([^"]*?)\s*"/g, (_match, inner: string) => `"${inner}"`);
  }

  tokenText(id: number): string | undefined {
    return this.tokenizer.vocabulary[id];
  }

  encode(text: string): number[] {
    return this.tokenizer.encode(text);
  }
}
