/**
 * The workbench: `drkit view <folder>` over a folder of runs. A read-only HTTP server on 127.0.0.1 serving the page in
 * `web/workbench.*`, uPlot from the package's own dependencies (the page loads nothing from the network), and a JSON
 * API over the runs found in the folder (src/serve/run-discovery.ts).
 *
 *   GET /                         the workbench page
 *   GET /api/runs                 {root, runs: RunEntry[]}
 *   GET /api/runs/scalars?id=ID   {id, metrics: rows, eval: rows, skipped}   (training runs)
 */
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import type { ListeningServer } from "./http.js";
import { packageWebRoot, sendUncached, startReadOnlyServer } from "./read-only-server.js";
import type { RequestGuardOptions } from "./request-guard.js";
import { discoverRuns, readJsonlRows } from "./run-discovery.js";

export interface WorkbenchOptions {
  /** The folder of runs (any depth). */
  path: string;
  host?: string;
  port?: number;
  /** Folder with workbench.html / .js / .css (default: the package's web/). */
  webRoot?: string;
  guard?: RequestGuardOptions;
}

const send = sendUncached;

function assets(webRoot: string): Record<string, { path: string; type: string }> {
  const uplot = dirname(createRequire(import.meta.url).resolve("uplot"));
  return {
    "/": { path: join(webRoot, "workbench.html"), type: "text/html; charset=utf-8" },
    "/workbench.js": { path: join(webRoot, "workbench.js"), type: "text/javascript; charset=utf-8" },
    "/workbench.css": { path: join(webRoot, "workbench.css"), type: "text/css; charset=utf-8" },
    "/vendor/uPlot.iife.min.js": { path: join(uplot, "uPlot.iife.min.js"), type: "text/javascript; charset=utf-8" },
    "/vendor/uPlot.min.css": { path: join(uplot, "uPlot.min.css"), type: "text/css; charset=utf-8" },
  };
}

function handle(
  root: string,
  files: Record<string, { path: string; type: string }>,
  request: IncomingMessage,
  response: ServerResponse,
): void {
  const url = new URL(request.url ?? "/", "http://localhost");
  if (request.method !== "GET" && request.method !== "HEAD") {
    send(response, 405, { error: "the workbench is read-only: use GET" }, { allow: "GET, HEAD" });
    return;
  }
  if (url.pathname === "/favicon.ico") {
    response.writeHead(204, { "cache-control": "max-age=86400" });
    response.end();
    return;
  }
  const asset = files[url.pathname];
  if (asset) {
    response.writeHead(200, { "content-type": asset.type, "cache-control": "no-store" });
    response.end(readFileSync(asset.path));
    return;
  }
  if (url.pathname === "/api/runs") {
    send(response, 200, { root, runs: discoverRuns(root) });
    return;
  }
  if (url.pathname === "/api/runs/scalars") {
    const id = url.searchParams.get("id") ?? "";
    // Only runs the folder holds: an id is never used as a path before it is found among them.
    const run = discoverRuns(root).find((candidate) => candidate.id === id && candidate.kind === "training");
    if (!run) {
      send(response, 404, { error: `no training run "${id}" in ${root}` });
      return;
    }
    const folder = join(root, run.id);
    const metrics = readJsonlRows(join(folder, "metrics.jsonl"));
    const evaluation = readJsonlRows(join(folder, "eval.jsonl"));
    send(response, 200, {
      id,
      metrics: metrics.rows,
      eval: evaluation.rows,
      skipped: metrics.skipped + evaluation.skipped,
    });
    return;
  }
  send(response, 404, { error: `unknown path ${url.pathname}` });
}

export async function startWorkbenchServer(options: WorkbenchOptions): Promise<ListeningServer> {
  const root = resolve(options.path);
  const files = assets(options.webRoot ?? packageWebRoot());
  return startReadOnlyServer(options, (request, response) => handle(root, files, request, response));
}
