/**
 * The Search-R1 / verl retrieval contract over a local corpus (docs/corpus.md, interop.md §1):
 *
 *   POST /retrieve {"queries": [...], "topk": n | null, "return_scores": bool}
 *     → {"result": [[{"document": {"id", "contents"}, "score": s}, ...], ...]}   (return_scores true)
 *     → {"result": [[{"id", "contents"}, ...], ...]}                             (return_scores false)
 *   GET /health → {"status": "ok", "corpus", "passages"}
 *
 * `contents` is `"Title"\ntext`. topk null or 0 falls back to the server default. Errors are JSON
 * `{"error": "..."}`: 400 bad input, 404 unknown route, 405 wrong method, 413 body too large, 500 anything
 * unexpected (the server keeps running).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { renderContents } from "../corpus/text.js";
import type { Corpus, SearchHit } from "../corpus/types.js";

export interface RetrievalServerOptions {
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** Port (default 8000; 0 picks a free one). */
  port?: number;
  /** Results per query when the request's topk is null, 0 or missing (default 3). */
  topk?: number;
  /** Largest topk a request may ask for (default 100). */
  maxTopk?: number;
  /** Most queries in one request (default 1024). */
  maxQueries?: number;
  /** Largest request body in bytes (default 4 MiB). */
  maxBodyBytes?: number;
  /** Called once per request after the response is sent (for logging). */
  onRequest?: (entry: { method: string; path: string; status: number; queries: number; ms: number }) => void;
}

export interface RetrievalServer {
  /** Base URL, e.g. http://127.0.0.1:8000 (POST `${url}/retrieve`). */
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

export interface RetrievalDocument {
  id: string;
  contents: string;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
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
    })
    .loose();
}

/** A passage as a retrieval document: `{id, contents: "\"Title\"\ntext"}`. */
export function toRetrievalDocument(hit: SearchHit): RetrievalDocument {
  return { id: hit.passage.id, contents: renderContents(hit.passage.title, hit.passage.text) };
}

function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers["content-length"]);
    if (Number.isFinite(declared) && declared > maxBytes) {
      reject(new HttpError(413, `request body too large (limit ${maxBytes} bytes)`, { Connection: "close" }));
      request.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    request.on("data", (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > maxBytes) {
        failed = true;
        reject(new HttpError(413, `request body too large (limit ${maxBytes} bytes)`, { Connection: "close" }));
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    request.on("error", (error) => {
      if (!failed) {
        failed = true;
        reject(error);
      }
    });
  });
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (response.headersSent || response.destroyed) return;
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(payload),
    ...headers,
  });
  response.end(payload);
}

/** Start serving `/retrieve` and `/health` for an opened corpus. The corpus stays open after close(). */
export async function startRetrievalServer(
  corpus: Corpus,
  options: RetrievalServerOptions = {},
): Promise<RetrievalServer> {
  const host = options.host ?? "127.0.0.1";
  const defaultTopk = options.topk ?? 3;
  const maxTopk = options.maxTopk ?? 100;
  const maxQueries = options.maxQueries ?? 1024;
  const maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024;
  if (!(Number.isInteger(defaultTopk) && defaultTopk >= 1 && defaultTopk <= maxTopk)) {
    throw new RangeError(`topk must be a whole number between 1 and maxTopk (${maxTopk})`);
  }
  const schema = retrieveRequestSchema({ maxQueries, maxTopk });
  const passages = corpus.stats().passages;

  const retrieve = async (request: IncomingMessage): Promise<{ result: unknown[][] }> => {
    const body = await readBody(request, maxBodyBytes);
    let value: unknown;
    try {
      value = JSON.parse(body.toString("utf8"));
    } catch {
      throw new HttpError(400, 'request body must be JSON: {"queries": [...], "topk": 3, "return_scores": true}');
    }
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
    const hits = corpus.search(parsed.data.queries, topk);
    if (parsed.data.return_scores) {
      return {
        result: hits.map((list) => list.map((hit) => ({ document: toRetrievalDocument(hit), score: hit.score }))),
      };
    }
    return { result: hits.map((list) => list.map(toRetrievalDocument)) };
  };

  const handle = async (
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<{ status: number; queries: number }> => {
    const path = (request.url ?? "/").split("?")[0] ?? "/";
    try {
      if (path === "/retrieve") {
        if (request.method !== "POST") throw new HttpError(405, "use POST /retrieve", { Allow: "POST" });
        const result = await retrieve(request);
        send(response, 200, result);
        return { status: 200, queries: result.result.length };
      }
      if (path === "/health") {
        if (request.method !== "GET" && request.method !== "HEAD")
          throw new HttpError(405, "use GET /health", { Allow: "GET, HEAD" });
        send(response, 200, { status: "ok", corpus: corpus.name, passages });
        return { status: 200, queries: 0 };
      }
      throw new HttpError(404, `no route ${request.method} ${path}: use POST /retrieve or GET /health`);
    } catch (error) {
      if (error instanceof HttpError) {
        send(response, error.status, { error: error.message }, error.headers);
        if (error.status === 413) request.resume();
        return { status: error.status, queries: 0 };
      }
      send(response, 500, { error: `internal error: ${(error as Error)?.message ?? String(error)}` });
      return { status: 500, queries: 0 };
    }
  };

  const server = createServer((request, response) => {
    const started = performance.now();
    handle(request, response)
      .then(({ status, queries }) => {
        options.onRequest?.({
          method: request.method ?? "",
          path: request.url ?? "",
          status,
          queries,
          ms: performance.now() - started,
        });
      })
      .catch(() => {
        if (!response.headersSent) send(response, 500, { error: "internal error" });
      });
  });
  server.on("clientError", (_error, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });
  server.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8000, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    server,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      });
      return closing;
    },
  };
}
