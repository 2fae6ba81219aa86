/** The `SearchProvider` contract (one ranked result list per query) and a small JSON HTTP helper for adapters. */
import { CancelledError, ProviderError } from "../../core/errors.js";
import { isRetryableStatus, parseRetryAfter, type RetryPolicy, withRetries } from "../../llm/retry.js";

export interface SearchResult {
  title: string;
  /** Snippet or passage text. */
  snippet: string;
  /** Web URL, or undefined for corpus passages. */
  url?: string;
  /** Passage id (local corpus, /retrieve) — what `visit` opens and retrieval rewards match. */
  id?: string;
  date?: string;
  source?: string;
  score?: number;
}

export interface SearchOptions {
  topk: number;
  signal?: AbortSignal;
}

export interface SearchProvider {
  readonly name: string;
  /** One ranked list per query, in query order. */
  search(queries: readonly string[], options: SearchOptions): Promise<SearchResult[][]>;
}

/** The key used for a result in `sources` (passage id or URL). */
export function resultSource(result: SearchResult): string | undefined {
  return result.id ?? result.url;
}

export interface JsonRequest {
  url: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: unknown;
  timeoutMs?: number;
  signal?: AbortSignal;
  retry?: RetryPolicy;
}

/** Fetch JSON with a timeout and retries on 429/5xx/network errors; errors are ProviderErrors naming the service. */
export async function fetchJson(service: string, request: JsonRequest): Promise<unknown> {
  return withRetries(
    async () => {
      const timeout = AbortSignal.timeout(request.timeoutMs ?? 60_000);
      const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
      let response: Response;
      try {
        response = await fetch(request.url, {
          method: request.method ?? (request.body === undefined ? "GET" : "POST"),
          headers: {
            accept: "application/json",
            ...(request.body === undefined ? {} : { "content-type": "application/json" }),
            ...(request.headers ?? {}),
          },
          body: request.body === undefined ? undefined : JSON.stringify(request.body),
          signal,
        });
      } catch (error) {
        if (request.signal?.aborted) throw new CancelledError();
        const reason = timeout.aborted
          ? `no answer within ${request.timeoutMs ?? 60_000} ms`
          : ((error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message);
        throw new ProviderError(`${service}: cannot reach ${new URL(request.url).origin} (${reason})`, {
          retryable: true,
        });
      }
      const text = await response.text();
      if (!response.ok) {
        throw new ProviderError(`${service} answered HTTP ${response.status}: ${text.slice(0, 300)}`, {
          status: response.status,
          retryAfterMs: parseRetryAfter(response.headers.get("retry-after")),
          retryable: isRetryableStatus(response.status),
        });
      }
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new ProviderError(`${service} returned invalid JSON: ${text.slice(0, 200)}`);
      }
    },
    request.retry ?? { maxRetries: 3, baseDelayMs: 500, maxDelayMs: 10_000 },
    request.signal,
  );
}
