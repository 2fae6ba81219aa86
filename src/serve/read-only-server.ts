/**
 * What the viewer and the workbench share: a read-only HTTP server on 127.0.0.1 behind the request guard (Host and
 * Origin checks), JSON replies that are never cached, and the package's `web/` folder for their pages.
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type ListeningServer, listenServer, sendJson } from "./http.js";
import { createRequestGuard, type RequestGuardOptions } from "./request-guard.js";

export interface ReadOnlyServerOptions {
  host?: string;
  port?: number;
  guard?: RequestGuardOptions;
}

const jsonHeaders = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };

/** A JSON reply that is never cached. */
export function sendUncached(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  sendJson(response, status, body, { ...jsonHeaders, ...headers });
}

/** The package's `web/` folder (src/serve/ and dist/serve/ both sit two levels below the package root). */
export function packageWebRoot(): string {
  return join(dirname(fileURLToPath(import.meta.url)), "..", "..", "web");
}

/** A file the page loads, by URL path. */
export interface StaticAsset {
  path: string;
  type: string;
}

/** A file as the reply, never cached. */
export function sendFile(response: ServerResponse, asset: StaticAsset): void {
  response.writeHead(200, { "content-type": asset.type, "cache-control": "no-store" });
  response.end(readFileSync(asset.path));
}

/**
 * Listen behind the request guard: anything but GET / HEAD is refused (`the <name> is read-only`), the `assets`
 * are served as files, and every other request goes to `handle` with its parsed URL; a thrown error becomes a 500
 * JSON reply.
 */
export function startReadOnlyServer(
  options: ReadOnlyServerOptions,
  name: string,
  assets: Readonly<Record<string, StaticAsset>>,
  handle: (url: URL, response: ServerResponse) => void,
): Promise<ListeningServer> {
  const host = options.host ?? "127.0.0.1";
  const guard = createRequestGuard(host, options.guard);
  const serve = (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    if (request.method !== "GET" && request.method !== "HEAD")
      sendUncached(response, 405, { error: `the ${name} is read-only: use GET` }, { allow: "GET, HEAD" });
    else if (assets[url.pathname]) sendFile(response, assets[url.pathname] as StaticAsset);
    else handle(url, response);
  };
  const server = createServer((request, response) => {
    try {
      const refusal = guard.check(request);
      if (refusal) sendUncached(response, refusal.status, { error: refusal.message });
      else serve(request, response);
    } catch (error) {
      if (!response.headersSent) sendUncached(response, 500, { error: (error as Error).message });
      else response.end();
    }
  });
  return listenServer(server, { host, port: options.port ?? 0, closeGraceMs: 0 });
}
