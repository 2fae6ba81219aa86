/**
 * Text embeddings from any OpenAI-compatible `POST /v1/embeddings` server (TEI, vLLM, Infinity, Ollama, OpenAI),
 * with the conventions retrieval models expect as options: a prefix per side (e5: `query: ` / `passage: `) and
 * L2 normalisation (cosine similarity as a dot product). Retries rate limits and server errors.
 */
import { z } from "zod";
import { ProviderError } from "../core/errors.js";
import { isRetryableStatus, parseRetryAfter, withRetries } from "./retry.js";

export interface EmbeddingOptions {
  /** Base URL ending in /v1, e.g. http://127.0.0.1:8080/v1. */
  baseUrl: string;
  model: string;
  apiKey?: string;
  /** Prefixes of the two sides; `e5` is shorthand for `query: ` / `passage: `. */
  prefix?: "e5" | "none" | { query: string; passage: string };
  /** Scale every vector to unit length (default true). */
  normalize?: boolean;
  /** Retries after the first try (default 4). */
  maxRetries?: number;
  /** Timeout per request in ms (default 120 s). */
  timeoutMs?: number;
}

const EmbeddingResponseSchema = z.object({
  data: z.array(z.object({ index: z.number().int().nonnegative().optional(), embedding: z.array(z.number()) })),
  usage: z.object({ prompt_tokens: z.number().optional(), total_tokens: z.number().optional() }).partial().optional(),
});

export interface EmbeddingResult {
  vectors: Float32Array[];
  /** Tokens the server reported (0 when it reports none). */
  tokens: number;
}

function prefixes(option: EmbeddingOptions["prefix"]): { query: string; passage: string } {
  if (option === "e5") return { query: "query: ", passage: "passage: " };
  if (option === undefined || option === "none") return { query: "", passage: "" };
  return option;
}

/** Scale to unit length (a zero vector stays zero). */
export function normalizeVector(vector: Float32Array): Float32Array {
  let sum = 0;
  for (const value of vector) sum += value * value;
  const norm = Math.sqrt(sum);
  if (norm === 0) return vector;
  for (let index = 0; index < vector.length; index++) vector[index] = (vector[index] as number) / norm;
  return vector;
}

export class EmbeddingClient {
  readonly model: string;
  private readonly url: string;
  private readonly prefix: { query: string; passage: string };

  constructor(private readonly options: EmbeddingOptions) {
    this.model = options.model;
    this.url = `${options.baseUrl.replace(/\/+$/, "")}/embeddings`;
    this.prefix = prefixes(options.prefix);
  }

  embedQueries(texts: readonly string[], signal?: AbortSignal): Promise<EmbeddingResult> {
    return this.embed(
      texts.map((text) => `${this.prefix.query}${text}`),
      signal,
    );
  }

  embedPassages(texts: readonly string[], signal?: AbortSignal): Promise<EmbeddingResult> {
    return this.embed(
      texts.map((text) => `${this.prefix.passage}${text}`),
      signal,
    );
  }

  private embed(input: string[], signal?: AbortSignal): Promise<EmbeddingResult> {
    if (input.length === 0) return Promise.resolve({ vectors: [], tokens: 0 });
    return withRetries(() => this.request(input, signal), { maxRetries: this.options.maxRetries ?? 4 }, signal);
  }

  private async request(input: string[], signal?: AbortSignal): Promise<EmbeddingResult> {
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 120_000);
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
        },
        body: JSON.stringify({ model: this.options.model, input }),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new ProviderError(`${this.url} is unreachable (${(error as Error).message}): check --base-url`, {
        retryable: true,
      });
    }
    const text = await response.text();
    if (!response.ok)
      throw new ProviderError(`${this.url} answered HTTP ${response.status}: ${text.slice(0, 300)}`, {
        status: response.status,
        retryable: isRetryableStatus(response.status),
        retryAfterMs: parseRetryAfter(response.headers.get("retry-after")),
      });
    let parsed: z.infer<typeof EmbeddingResponseSchema>;
    try {
      parsed = EmbeddingResponseSchema.parse(JSON.parse(text));
    } catch (error) {
      throw new ProviderError(`${this.url} did not answer an embeddings response: ${(error as Error).message}`);
    }
    if (parsed.data.length !== input.length)
      throw new ProviderError(`${this.url} returned ${parsed.data.length} embeddings for ${input.length} inputs`);
    const ordered = [...parsed.data].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
    const vectors = ordered.map((item) => {
      const vector = Float32Array.from(item.embedding);
      return this.options.normalize === false ? vector : normalizeVector(vector);
    });
    return { vectors, tokens: parsed.usage?.total_tokens ?? parsed.usage?.prompt_tokens ?? 0 };
  }
}
