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
  }

  encode(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
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
