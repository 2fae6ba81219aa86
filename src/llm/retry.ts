/** Retry policy for provider calls: jittered exponential backoff that honours `Retry-After`. */
import { CancelledError, ProviderError } from "../core/errors.js";

export interface RetryPolicy {
  /** Retries after the first try. */
  maxRetries: number;
  /** First backoff step in ms (doubles every retry). Default 500. */
  baseDelayMs?: number;
  /** Largest wait between tries. Default 30 s (Tongyi's cap). */
  maxDelayMs?: number;
  /** 0..1 random source (tests pass a fixed one). */
  random?: () => number;
}

/** Parse a `Retry-After` header: seconds (may be fractional) or an HTTP date. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Status codes worth another try: rate limits, timeouts and server errors. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 425 || status === 429 || status >= 500;
}

/** Full-jitter backoff: uniform in [delay/2, delay] with delay = base·2^attempt, capped. */
export function backoffDelay(attempt: number, policy: RetryPolicy): number {
  const base = policy.baseDelayMs ?? 500;
  const cap = policy.maxDelayMs ?? 30_000;
  const delay = Math.min(cap, base * 2 ** attempt);
  const random = policy.random ?? Math.random;
  return delay / 2 + (delay / 2) * random();
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new CancelledError());
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new CancelledError());
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Run `attempt` until it succeeds, a non-retryable error is thrown, or retries run out. Retryable errors are
 * `ProviderError`s with `retryable: true`; their `retryAfterMs` (capped at maxDelayMs) replaces the backoff.
 */
export async function withRetries<T>(
  attempt: (tryIndex: number) => Promise<T>,
  policy: RetryPolicy,
  signal?: AbortSignal,
  onRetry?: (error: ProviderError, delayMs: number, tryIndex: number) => void,
): Promise<T> {
  for (let tryIndex = 0; ; tryIndex++) {
    if (signal?.aborted) throw new CancelledError();
    try {
      return await attempt(tryIndex);
    } catch (error) {
      if (!(ProviderError.isInstance(error) && error instanceof ProviderError && error.retryable)) throw error;
      if (tryIndex >= policy.maxRetries) throw error;
      const cap = policy.maxDelayMs ?? 30_000;
      const delay =
        error.retryAfterMs !== undefined ? Math.min(cap, error.retryAfterMs) : backoffDelay(tryIndex, policy);
      onRetry?.(error, delay, tryIndex);
      await sleep(delay, signal);
    }
  }
}
