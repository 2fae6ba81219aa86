/**
 * The token path of one episode: the context as ids, grown append-only (prompt ++ sample ++ continuation …),
 * and the spans of the trajectory's token view recorded as they are appended — exact by construction, with no
 * re-rendering and no prefix guessing. A sampled turn is decoded for the protocol to parse; with native tools
 * the tool calls are read from the text in the template's format.
 */
import type { ChatMessage, TokenSpan, TokenView } from "../core/trajectory.js";
import type { ChatRequest, ChatResponse, ToolDefinition } from "../llm/chat-model.js";
import type { ChatTemplate } from "../llm/chat-template.js";
import type { TokenSampler } from "../llm/token-sampler.js";
import { parseToolCallText } from "../llm/tool-call-text.js";

/** What the agent loop needs to run in token space. */
export interface TokenPath {
  sampler: TokenSampler;
  template: ChatTemplate;
}

/** `max_tokens` of a token-path call when neither the turn limit nor the context cap says less. */
export const DEFAULT_TOKENS_PER_TURN = 4096;

export class TokenSession {
  readonly promptIds: readonly number[];
  private readonly context: number[];
  private readonly spans: TokenSpan[] = [];
  private lastSample: readonly number[] = [];

  constructor(
    private readonly path: TokenPath,
    messages: readonly ChatMessage[],
    private readonly tools: readonly ToolDefinition[] | undefined,
    /** Most ids in prompt + samples + observations (the context cap and the sampler's own limit). */
    readonly maxContextTokens: number,
  ) {
    this.promptIds = path.template.promptIds(messages, tools);
    this.context = [...this.promptIds];
  }

  /** Ids in the context now (prompt + samples + observations). */
  get length(): number {
    return this.context.length;
  }

  /** Tokens a turn may sample: the turn limit, within the context cap. */
  room(maxTokensPerTurn: number | undefined): number {
    return Math.min(maxTokensPerTurn ?? DEFAULT_TOKENS_PER_TURN, this.maxContextTokens - this.context.length);
  }

  /** Sample one turn from the current context and record it as a model span. */
  async sample(request: ChatRequest, turn: number, maxTokens: number, signal?: AbortSignal): Promise<ChatResponse> {
    const stopTokenIds = this.path.template.stopTokenIds;
    const sample = await this.path.sampler.sample(
      {
        promptIds: this.context,
        maxTokens,
        ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
        ...(request.topP !== undefined ? { topP: request.topP } : {}),
        ...(request.seed !== undefined ? { seed: request.seed } : {}),
        ...(request.stop ? { stop: request.stop } : {}),
        ...(stopTokenIds.length > 0 ? { stopTokenIds } : {}),
      },
      signal,
    );
    const ids = sample.tokenIds.slice(0, maxTokens);
    const logprobs = sample.logprobs.slice(0, ids.length);
    const promptTokens = this.context.length;
    this.context.push(...ids);
    this.spans.push({ source: "model", turn, ids, logprobs });
    this.lastSample = ids;
    const text = this.path.template.decode(ids);
    const parsed =
      request.tools && request.tools.length > 0
        ? parseToolCallText(text, this.path.template.toolCallFormat)
        : { content: text, toolCalls: [] };
    return {
      text: parsed.content,
      toolCalls: parsed.toolCalls,
      finishReason: sample.finishReason,
      usage: { promptTokens, completionTokens: ids.length },
      tokenIds: ids,
      logprobs,
    };
  }

  /** Ids that would follow the last sample for these observation messages (not appended yet). */
  continuation(messages: readonly ChatMessage[]): number[] {
    return this.path.template.continuationIds(messages, this.lastSample, this.tools);
  }

  /** True when `ids` fit with room for at least one more sampled token. */
  fits(ids: readonly number[]): boolean {
    return this.context.length + ids.length < this.maxContextTokens;
  }

  appendObservation(turn: number, ids: readonly number[]): void {
    this.context.push(...ids);
    this.spans.push({ source: "observation", turn, ids: [...ids] });
  }

  view(): TokenView {
    return {
      tokenizer: this.path.template.name,
      promptIds: [...this.promptIds],
      spans: this.spans.map((span) => ({ ...span })),
    };
  }
}
