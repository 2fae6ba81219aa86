/**
 * The HTTP plumbing the drkit servers share: JSON replies, bounded request bodies, `HttpError` for 4xx
 * answers, and a listening server with a graceful, idempotent close().
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequestGuard, type RequestGuardOptions } from "./request-guard.js";

/** An error answered as JSON `{"error": message}` with `status` and extra `headers`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** A server that is listening; close() stops it (idempotent). */
export interface ListeningServer {
  /** Base URL, e.g. http://127.0.0.1:8000. */
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

/** What one request logged through `onRequest`: `count` is what the server counts (queries, items). */
export interface RequestLogEntry {
  method: string;
  path: string;
  status: number;
  count: number;
  ms: number;
}

/**
 * Read a request body of at most `maxBytes`. A larger one, declared (Content-Length) or streamed, rejects
 * with a 413 HttpError carrying `tooLargeMessage` (default: the limit in bytes) and `Connection: close`.
 */
export function readBody(request: IncomingMessage, maxBytes: number, tooLargeMessage?: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooLarge = () =>
      new HttpError(413, tooLargeMessage ?? `request body too large (limit ${maxBytes} bytes)`, {
        Connection: "close",
      });
    const declared = Number(request.headers["content-length"]);
    if (Number.isFinite(declared) && declared > maxBytes) {
      reject(tooLarge());
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
        reject(tooLarge());
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

/**
 * Read and parse a JSON request body (see readBody for the size limit). Text that is not JSON rejects with a
 * 400 HttpError `request body must be JSON: ${example}`.
 */
export async function readJsonBody(
  request: IncomingMessage,
  options: { maxBytes: number; example: string; tooLargeMessage?: string },
): Promise<unknown> {
  const body = await readBody(request, options.maxBytes, options.tooLargeMessage);
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    throw new HttpError(400, `request body must be JSON: ${options.example}`);
  }
}

/**
 * Answer `body` as JSON with Content-Length. `headers` are added; one named content-type (any case) replaces
 * the default `Content-Type: application/json`. Does nothing once the response has started or closed.
 */
export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (response.headersSent || response.destroyed) return;
  const payload = JSON.stringify(body);
  const hasType = Object.keys(headers).some((name) => name.toLowerCase() === "content-type");
  response.writeHead(status, {
    ...(hasType ? {} : { "Content-Type": "application/json" }),
    "Content-Length": Buffer.byteLength(payload),
    ...headers,
  });
  response.end(payload);
}

/**
 * Listen on host:port (0 picks a free port) and return the base URL and a close() that stops accepting,
 * closes idle keep-alive connections at once and the rest after `closeGraceMs` (0: at once).
 */
export async function listenServer(
  server: Server,
  options: { host: string; port: number; closeGraceMs?: number },
): Promise<ListeningServer> {
  const closeGraceMs = options.closeGraceMs ?? 2000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
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
        if (closeGraceMs <= 0) {
          server.closeAllConnections();
          return;
        }
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), closeGraceMs).unref();
      });
      return closing;
    },
  };
}

/** A reply: a JSON body, or JSON text in chunks (written with backpressure, so a large reply is never one string). */
export type JsonReply =
  | { body: unknown; count: number }
  | { chunks: Iterable<string> | AsyncIterable<string>; count: number };

export interface JsonServerOptions {
  host: string;
  port: number;
  /**
   * Answer one request: return the 200 reply and what to count for the log. Throw an HttpError for a 4xx;
   * anything else thrown goes through `mapError`, and is a 500 `internal error: …` when that returns nothing.
   */
  handle: (request: IncomingMessage, path: string) => Promise<JsonReply>;
  /** Turn a thrown error that is not an HttpError into one (e.g. input errors into 400s). */
  mapError?: (error: unknown) => HttpError | undefined;
  /** Called once per request after the response is sent (for logging). */
  onRequest?: (entry: RequestLogEntry) => void;
  /** Which Host names and browser origins may call (see request-guard.ts). */
  guard?: RequestGuardOptions;
  /** Most open connections (default 1,024); more are refused at accept. */
  maxConnections?: number;
  /** A connection with no bytes moving either way for this long is closed (default 120 s): a client that stops reading cannot pin a reply. */
  idleTimeoutMs?: number;
}

/** Write JSON chunks, waiting for the socket to drain; stops when the client goes away. */
async function writeChunks(
  response: ServerResponse,
  chunks: Iterable<string> | AsyncIterable<string>,
  headers: Record<string, string>,
) {
  response.writeHead(200, { "Content-Type": "application/json", ...headers });
  for await (const chunk of chunks) {
    if (response.destroyed) return;
    if (!response.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          response.off("drain", done);
          response.off("close", done);
          resolve();
        };
        response.on("drain", done);
        response.on("close", done);
      });
    }
  }
  response.end();
}

/**
 * Start a JSON-over-HTTP server: `handle` answers each request, errors become `{"error": "..."}` replies,
 * malformed requests get a bare 400, requests from other Hosts or origins a 403 (request-guard.ts), and
 * keep-alive connections live 65 s (longer than common client pools).
 */
export async function startJsonServer(options: JsonServerOptions): Promise<ListeningServer> {
  const guard = createRequestGuard(options.host, options.guard);
  const answer = async (
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<{ status: number; count: number }> => {
    const path = (request.url ?? "/").split("?")[0] ?? "/";
    const cors = guard.corsHeaders(request);
    try {
      const refusal = guard.check(request);
      if (refusal) throw refusal;
      if (request.method === "OPTIONS" && Object.keys(cors).length > 0) {
        response.writeHead(204, cors).end();
        return { status: 204, count: 0 };
      }
      const reply = await options.handle(request, path);
      if ("chunks" in reply) await writeChunks(response, reply.chunks, cors);
      else sendJson(response, 200, reply.body, cors);
      return { status: 200, count: reply.count };
    } catch (thrown) {
      const error = thrown instanceof HttpError ? thrown : options.mapError?.(thrown);
      if (response.headersSent) {
        response.destroy();
        return { status: 500, count: 0 };
      }
      if (error) {
        sendJson(response, error.status, { error: error.message }, { ...cors, ...error.headers });
        if (error.status === 413 || error.status === 403) request.resume();
        return { status: error.status, count: 0 };
      }
      sendJson(response, 500, { error: `internal error: ${(thrown as Error)?.message ?? String(thrown)}` });
      return { status: 500, count: 0 };
    }
  };

  const server = createServer((request, response) => {
    const started = performance.now();
    answer(request, response)
      .then(({ status, count }) => {
        options.onRequest?.({
          method: request.method ?? "",
          path: request.url ?? "",
          status,
          count,
          ms: performance.now() - started,
        });
      })
      .catch(() => {
        if (!response.headersSent) sendJson(response, 500, { error: "internal error" });
      });
  });
  server.on("clientError", (_error, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });
  server.keepAliveTimeout = 65_000;
  // Above keepAliveTimeout, so a request arriving on an idle keep-alive connection is never cut by it.
  server.headersTimeout = 66_000;
  server.requestTimeout = 120_000;
  server.timeout = options.idleTimeoutMs ?? 120_000;
  server.maxConnections = options.maxConnections ?? 1024;
  return listenServer(server, { host: options.host, port: options.port });
}
