/**
 * A word-level tokenizer fitted on text (the bundled corpus, the task prompts), with special tokens for
 * the Search-R1 protocol tags. Saved next to the checkpoint as JSON. It is for the in-process policy
 * only; remote models bring their own tokenizer and token ids.
 *
 * Text is split into lower-cased words and single punctuation marks; the protocol tags are single
 * tokens. Decoding joins tokens with spaces, so decode∘encode is not the identity on arbitrary text:
 * training therefore always keeps sampled ids and never re-tokenises decoded text.
 */
import { z } from "zod";
import { DataError } from "../../core/errors.js";

export const SPECIAL_TOKENS = [
  "<pad>",
  "<bos>",
  "<eos>",
  "<unk>",
  "<think>",
  "</think>",
  "<search>",
  "</search>",
  "<information>",
  "</information>",
  "<answer>",
  "</answer>",
] as const;
export type SpecialToken = (typeof SPECIAL_TOKENS)[number];

export const TokenizerFileSchema = z.object({
  kind: z.literal("drkit-word-tokenizer"),
  version: z.literal(1),
  vocabulary: z.array(z.string()).min(SPECIAL_TOKENS.length),
});
export type TokenizerFile = z.infer<typeof TokenizerFileSchema>;

/** Protocol tags kept whole: Search-R1's and the ReAct protocol's (`<tool_call>`, `<tool_response>`). */
const TAG_PATTERN = /<\/?(?:think|search|information|answer|tool_call|tool_response)>/g;
const WORD_PATTERN = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?|[^\s\p{L}\p{N}]/gu;

/** Split text into the tokenizer's units (lower-cased words, punctuation marks, protocol tags). */
export function splitWords(text: string): string[] {
  const out: string[] = [];
  let last = 0;
  for (const match of text.matchAll(TAG_PATTERN)) {
    const index = match.index ?? 0;
    for (const word of text.slice(last, index).toLowerCase().match(WORD_PATTERN) ?? []) out.push(word);
    out.push(match[0]);
    last = index + match[0].length;
  }
  for (const word of text.slice(last).toLowerCase().match(WORD_PATTERN) ?? []) out.push(word);
  return out;
}

export class WordTokenizer {
  readonly name: string;
  private readonly ids: Map<string, number>;

  constructor(readonly vocabulary: readonly string[]) {
    for (let i = 0; i < SPECIAL_TOKENS.length; i++) {
      if (vocabulary[i] !== SPECIAL_TOKENS[i]) {
        throw new DataError(`tokenizer vocabulary must start with the special tokens (${SPECIAL_TOKENS.join(" ")})`);
      }
    }
    this.ids = new Map(vocabulary.map((token, id) => [token, id]));
    this.name = `drkit-word-${vocabulary.length}`;
  }

  /** Fit on texts: every special token, then words by descending frequency (ties alphabetical), up to maxSize. */
  static fit(texts: Iterable<string>, maxSize = 4096): WordTokenizer {
    const counts = new Map<string, number>();
    for (const text of texts) {
      for (const word of splitWords(text)) {
        if ((SPECIAL_TOKENS as readonly string[]).includes(word)) continue;
        counts.set(word, (counts.get(word) ?? 0) + 1);
      }
    }
    const words = [...counts.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, Math.max(0, maxSize - SPECIAL_TOKENS.length))
      .map(([word]) => word);
    return new WordTokenizer([...SPECIAL_TOKENS, ...words]);
  }

  static fromJson(value: unknown): WordTokenizer {
    const parsed = TokenizerFileSchema.safeParse(value);
    if (!parsed.success)
      throw new DataError(`invalid tokenizer file: ${parsed.error.issues[0]?.message ?? "bad shape"}`);
    return new WordTokenizer(parsed.data.vocabulary);
  }

  toJson(): TokenizerFile {
    return { kind: "drkit-word-tokenizer", version: 1, vocabulary: [...this.vocabulary] };
  }

  get size(): number {
    return this.vocabulary.length;
  }

  id(token: SpecialToken | string): number {
    return this.ids.get(token) ?? (this.ids.get("<unk>") as number);
  }

  has(word: string): boolean {
    return this.ids.has(word);
  }

  encode(text: string): number[] {
    return splitWords(text).map((word) => this.id(word));
  }

  decode(ids: readonly number[]): string {
    return ids
      .filter((id) => id !== 0)
      .map((id) => this.vocabulary[id] ?? "<unk>")
      .join(" ");
  }
}
