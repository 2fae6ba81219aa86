/**
 * The Search-R1 / verl retrieval contract over a local corpus (docs/corpus.md):
 *
 *   POST /retrieve {"queries": [...], "topk": n | null, "return_scores": bool}
 *     → {"result": [[{"document": {"id", "contents"}, "score": s}, ...], ...]}   (return_scores true)
 *     → {"result": [[{"id", "contents"}, ...], ...]}                             (return_scores false)
 *   POST /access {"urls": [...]} → {"result": [{"url", "title", "contents"} | null, ...]}   (ASearcher's contract:
 *     the stored page of each URL or title, see corpus/page-access.ts)
 *   GET /health → {"status": "ok", "corpus", "passages"}
 *
 * `contents` is `"Title"\ntext`. topk null or 0 falls back to the server default. Errors are JSON
 * `{"error": "..."}`: 400 bad input, 404 unknown route, 405 wrong method, 413 body too large, 500 anything
 * unexpected (the server keeps running). The reply is streamed a batch of queries at a time with backpressure, so
 * its memory stays bounded by a batch however large the request, and a client that stops reading holds no more.
 */
import type { IncomingMessage } from "node:http";
import { z } from "zod";
import { InputError } from "../core/errors.js";
import { storedPage } from "../corpus/page-access.js";
import { renderContents } from "../corpus/text.js";
import { type Corpus, SEARCH_MODES, type SearchHit, type SearchMode } from "../corpus/types.js";
import { HttpError, type ListeningServer, readJsonBody, startJsonServer } from "./http.js";
import type { RequestGuardOptions } from "./request-guard.js";

export interface RetrievalServerOptions {
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** Port (default 8000; 0 picks a free one). */
  port?: number;
  /** Results per query when the request's topk is null, 0 or missing (default 3). */
  topk?: number;
  /** Largest topk a request may ask for (default 100). */
  maxTopk?: number;
  /**
   * Most queries in one request (default 8192: Search-R1's GRPO script sends 2,560 at once — batch 512 × 5 — and
   * a smaller cap answers 400 where it expects results).
   */
  maxQueries?: number;
  /** Most results in one request, queries × topk (default 32,768): bounds the work and the reply of one request. */
  maxResults?: number;
  /** Largest request body in bytes (default 4 MiB). */
  maxBodyBytes?: number;
  /** Called once per request after the response is sent (for logging). */
  onRequest?: (entry: { method: string; path: string; status: number; queries: number; ms: number }) => void;
  /** Extra Host names and the browser origins allowed to call (default: loopback names, no cross-origin pages). */
  guard?: RequestGuardOptions;
  /** Most open connections (default 1,024). */
  maxConnections?: number;
}

/** Most URLs in one /access request. */
const MAX_ACCESS_URLS = 256;
const AccessRequestSchema = z.object({
  urls: z
    .array(z.string().max(4096), { error: "urls must be an array of strings" })
    .max(MAX_ACCESS_URLS, { error: `at most ${MAX_ACCESS_URLS} urls per request` }),
});

/** Queries searched and serialised per chunk of a streamed reply. */
const QUERIES_PER_CHUNK = 64;

/** The running server; `url` is the base URL, e.g. http://127.0.0.1:8000 (POST `${url}/retrieve`). */
export type RetrievalServer = ListeningServer;

export interface RetrievalDocument {
  id: string;
  contents: string;
}

/** The request schema of POST /retrieve. */
export function retrieveRequestSchema(limits: { maxQueries: number; maxTopk: number }) {
  return z
    .object({
      queries: z
        .array(z.string(), { error: "queries must be an array of strings" })
        .max(limits.maxQueries, { error: `at most ${limits.maxQueries} queries per request` }),
      topk: z
        .number({ error: "topk must be a whole number or null" })
        .int({ error: "topk must be a whole number or null" })
        .min(0, { error: "topk must not be negative" })
        .max(limits.maxTopk, { error: `topk must be at most ${limits.maxTopk}` })
        .nullish(),
      return_scores: z.boolean({ error: "return_scores must be true or false" }).nullish(),
      /** drkit's extension: bm25, dense or hybrid (default: the corpus's). Other servers ignore unknown fields. */
      mode: z.enum(SEARCH_MODES, { error: `mode must be one of ${SEARCH_MODES.join(", ")}` }).nullish(),
    })
    .loose();
}

/** A passage as a retrieval document: `{id, contents: "\"Title\"\ntext"}`. */
export function toRetrievalDocument(hit: SearchHit): RetrievalDocument {
  return { id: hit.passage.id, contents: renderContents(hit.passage.title, hit.passage.text) };
}

/** Start serving `/retrieve` and `/health` for an opened corpus. The corpus stays open after close(). */
export async function startRetrievalServer(
  corpus: Corpus,
  options: RetrievalServerOptions = {},
): Promise<RetrievalServer> {
  const host = options.host ?? "127.0.0.1";
  const defaultTopk = options.topk ?? 3;
  const maxTopk = options.maxTopk ?? 100;
  const maxQueries = options.maxQueries ?? 8192;
  const maxResults = options.maxResults ?? 32_768;
  const maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024;
  if (!(Number.isInteger(defaultTopk) && defaultTopk >= 1 && defaultTopk <= maxTopk)) {
    throw new RangeError(`topk must be a whole number between 1 and maxTopk (${maxTopk})`);
  }
  const schema = retrieveRequestSchema({ maxQueries, maxTopk });
  const passages = corpus.stats().passages;

  const retrieve = async (
    request: IncomingMessage,
  ): Promise<{ queries: string[]; topk: number; scores: boolean; mode: SearchMode | undefined }> => {
    const value = await readJsonBody(request, {
      maxBytes: maxBodyBytes,
      example: '{"queries": [...], "topk": 3, "return_scores": true}',
    });
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
      const message =
        issue?.code === "invalid_type" && issue.path.length === 0
          ? "request body must be a JSON object"
          : issue?.message;
      throw new HttpError(400, `${where}${message ?? "invalid request"}`);
    }
    const topk = parsed.data.topk ? parsed.data.topk : defaultTopk;
    if (parsed.data.queries.length * topk > maxResults)
      throw new HttpError(
        400,
        `${parsed.data.queries.length} queries × topk ${topk} = ${parsed.data.queries.length * topk} results, more than the ${maxResults} one request may ask for; split the request or lower topk`,
      );
    return {
      queries: parsed.data.queries,
      topk,
      scores: parsed.data.return_scores === true,
      mode: parsed.data.mode ?? undefined,
    };
  };

  const searchChunk = (queries: string[], start: number, topk: number, mode: SearchMode | undefined) =>
    corpus.search(queries.slice(start, start + QUERIES_PER_CHUNK), topk, mode ? { mode } : {});

  /**
   * `{"result": [...]}` a chunk of queries at a time: each searched only when the client has taken the last one.
   * The first chunk is searched before the reply starts, so a search that cannot run (dense mode on a corpus
   * without embeddings) is a 400, not a cut reply.
   */
  async function* resultChunks(
    queries: string[],
    topk: number,
    scores: boolean,
    mode: SearchMode | undefined,
    first: SearchHit[][],
  ): AsyncGenerator<string> {
    yield '{"result":[';
    for (let start = 0; start < queries.length; start += QUERIES_PER_CHUNK) {
      const found = start === 0 ? first : await searchChunk(queries, start, topk, mode);
      const lists = found.map((hits) =>
        JSON.stringify(
          scores
            ? hits.map((hit) => ({ document: toRetrievalDocument(hit), score: hit.score }))
            : hits.map(toRetrievalDocument),
        ),
      );
      yield `${start > 0 ? "," : ""}${lists.join(",")}`;
    }
    yield "]}";
  }

  return startJsonServer({
    host,
    port: options.port ?? 8000,
    async handle(request, path) {
      if (path === "/retrieve") {
        if (request.method !== "POST") throw new HttpError(405, "use POST /retrieve", { Allow: "POST" });
        const { queries, topk, scores, mode } = await retrieve(request);
        const first = await searchChunk(queries, 0, topk, mode);
        return { chunks: resultChunks(queries, topk, scores, mode, first), count: queries.length };
      }
      if (path === "/access") {
        if (request.method !== "POST") throw new HttpError(405, "use POST /access", { Allow: "POST" });
        const value = await readJsonBody(request, {
          maxBytes: maxBodyBytes,
          example: '{"urls": ["https://…", "Title"]}',
        });
        const parsed = AccessRequestSchema.safeParse(value);
        if (!parsed.success) throw new HttpError(400, parsed.error.issues[0]?.message ?? "invalid request");
        const result = parsed.data.urls.map((url) => {
          const page = storedPage(corpus, url);
          return page ? { url: page.url, title: page.title, contents: page.contents } : null;
        });
        return { body: { result }, count: result.length };
      }
      if (path === "/health") {
        if (request.method !== "GET" && request.method !== "HEAD")
          throw new HttpError(405, "use GET /health", { Allow: "GET, HEAD" });
        return { body: { status: "ok", corpus: corpus.name, passages }, count: 0 };
      }
      throw new HttpError(404, `no route ${request.method} ${path}: use POST /retrieve, POST /access or GET /health`);
    },
    mapError: (error) => (error instanceof InputError ? new HttpError(400, error.message) : undefined),
    onRequest: ({ count, ...entry }) => options.onRequest?.({ ...entry, queries: count }),
    ...(options.guard ? { guard: options.guard } : {}),
    ...(options.maxConnections !== undefined ? { maxConnections: options.maxConnections } : {}),
  });
}
