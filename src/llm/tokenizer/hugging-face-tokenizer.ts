/**
 * A model's own tokenizer from its Hugging Face files (`tokenizer.json` + `tokenizer_config.json`), run by
 * `@huggingface/tokenizers` (pure JS; same ids as the Rust library). Encoding never adds special tokens: chat
 * templates write them as text, and the tokenizer maps their text to their ids.
 */
import { Tokenizer } from "@huggingface/tokenizers";
import { ConfigError } from "../../core/errors.js";
import type { SnapshotFiles } from "./snapshot.js";

type TokenSetting = string | { content?: string } | null | undefined;

function tokenText(setting: TokenSetting): string | undefined {
  if (typeof setting === "string") return setting;
  return setting?.content ?? undefined;
}

function parseJson(text: string, file: string, directory: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(`${directory}/${file} is not valid JSON: ${(error as Error).message}`);
  }
}

export class HuggingFaceTokenizer {
  readonly name: string;
  readonly config: Record<string, unknown>;
  readonly bosToken: string | undefined;
  readonly eosToken: string | undefined;
  /** End-of-turn ids: `generation_config.json` eos ids, then the tokenizer's eos token. */
  readonly eosTokenIds: readonly number[];
  private readonly tokenizer: Tokenizer;
  /** Splits text at added tokens (when they are all plain: no strip, not normalized), as the library does. */
  private readonly addedTokens: RegExp | undefined;
  private readonly addedTokenIds = new Map<string, number>();
  /** Ids of long text segments seen before (system prompts, tool schemas repeat in every episode). */
  private readonly segments = new Map<string, number[]>();

  constructor(files: SnapshotFiles) {
    const json = parseJson(files.tokenizerJson, "tokenizer.json", files.directory);
    this.config = parseJson(files.tokenizerConfigJson, "tokenizer_config.json", files.directory);
    this.name = files.name;
    this.tokenizer = new Tokenizer(json, this.config);
    this.bosToken = tokenText(this.config.bos_token as TokenSetting);
    this.eosToken = tokenText(this.config.eos_token as TokenSetting);
    const eos = new Set<number>();
    if (files.generationConfigJson !== undefined) {
      const generation = parseJson(files.generationConfigJson, "generation_config.json", files.directory);
      const ids = generation.eos_token_id;
      for (const id of Array.isArray(ids) ? ids : [ids]) if (typeof id === "number") eos.add(id);
    }
    const eosId = this.eosToken === undefined ? undefined : this.tokenToId(this.eosToken);
    if (eosId !== undefined) eos.add(eosId);
    this.eosTokenIds = [...eos];
    this.addedTokens = this.addedTokenPattern(json.added_tokens);
  }

  private addedTokenPattern(added: unknown): RegExp | undefined {
    if (!Array.isArray(added) || added.length === 0) return undefined;
    for (const token of added as Record<string, unknown>[]) {
      if (token.lstrip || token.rstrip || token.single_word || token.normalized) return undefined;
      if (typeof token.content !== "string" || typeof token.id !== "number") return undefined;
      this.addedTokenIds.set(token.content, token.id);
    }
    const escaped = [...this.addedTokenIds.keys()]
      .sort((a, b) => b.length - a.length)
      .map((content) => content.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    return new RegExp(escaped.join("|"), "g");
  }

  /**
   * Ids of text, no special tokens added. Text is encoded segment by segment between added tokens (what the
   * library does internally), and segments are cached: an episode's system prompt, tool schemas and the chat
   * markers between turns are tokenized once per process, not once per turn.
   */
  encode(text: string): number[] {
    if (!this.addedTokens) return this.encodePlain(text);
    const ids: number[] = [];
    let last = 0;
    for (const match of text.matchAll(this.addedTokens)) {
      if (match.index > last) this.encodeSegment(text.slice(last, match.index), ids);
      ids.push(this.addedTokenIds.get(match[0]) as number);
      last = match.index + match[0].length;
    }
    if (last < text.length) this.encodeSegment(text.slice(last), ids);
    return ids;
  }

  private encodePlain(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  private encodeSegment(segment: string, out: number[]): void {
    let ids = this.segments.get(segment);
    if (!ids) {
      ids = this.encodePlain(segment);
      if (segment.length <= 65_536) {
        if (this.segments.size >= 4096) this.segments.delete(this.segments.keys().next().value as string);
        this.segments.set(segment, ids);
      }
    }
    for (const id of ids) out.push(id);
  }

  /** Text of ids; `skipSpecial` drops special tokens (eos, chat markers) as transformers' decode does. */
  decode(ids: readonly number[], skipSpecial = true): string {
    return this.tokenizer.decode([...ids], { skip_special_tokens: skipSpecial, clean_up_tokenization_spaces: false });
  }

  tokenToId(token: string): number | undefined {
    return this.tokenizer.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.tokenizer.id_to_token(id);
  }
}
