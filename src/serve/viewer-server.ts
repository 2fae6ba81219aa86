/**
 * The trajectory viewer: a read-only HTTP server on 127.0.0.1 that serves the page in `web/` and a small
 * JSON API over a trajectories file or run directory.
 *
 *   GET /                         the viewer page
 *   GET /api/info                 {file, total}
 *   GET /api/trajectories?offset&limit&search&termination&outcome   → {total, items: TrajectorySummary[]}
 *   GET /api/trajectories/:index  → the full Trajectory record
 */
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { z } from "zod";
import type { ListeningServer } from "./http.js";
import { packageWebRoot, sendUncached, startReadOnlyServer } from "./read-only-server.js";
import type { RequestGuardOptions } from "./request-guard.js";
import { TrajectorySource } from "./trajectory-source.js";

export interface ViewerOptions {
  /** A trajectories JSONL file or a run directory containing trajectories.jsonl. */
  path: string;
  host?: string;
  port?: number;
  /** Folder with viewer.html / viewer.js / viewer.css (default: the package's web/). */
  webRoot?: string;
  /** Extra Host names and browser origins allowed (default: loopback names and the viewer's own page). */
  guard?: RequestGuardOptions;
}

/** The running viewer; close() ends open connections at once. */
export type RunningServer = ListeningServer;

const QuerySchema = z.object({
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  search: z.string().max(500).optional(),
  termination: z.string().max(200).optional(),
  outcome: z.enum(["correct", "incorrect"]).optional(),
  group: z.string().max(500).optional(),
  step: z.coerce.number().int().optional(),
});

const staticFiles: Record<string, { file: string; type: string }> = {
  "/": { file: "viewer.html", type: "text/html; charset=utf-8" },
  "/viewer.js": { file: "viewer.js", type: "text/javascript; charset=utf-8" },
  "/viewer.css": { file: "viewer.css", type: "text/css; charset=utf-8" },
};

const send = sendUncached;

function handle(source: TrajectorySource, webRoot: string, request: IncomingMessage, response: ServerResponse): void {
  const url = new URL(request.url ?? "/", "http://localhost");
  if (request.method !== "GET" && request.method !== "HEAD") {
    send(response, 405, { error: "the viewer is read-only: use GET" }, { allow: "GET, HEAD" });
    return;
  }
  const asset = staticFiles[url.pathname];
  if (asset) {
    response.writeHead(200, { "content-type": asset.type, "cache-control": "no-store" });
    response.end(readFileSync(join(webRoot, asset.file)));
    return;
  }
  if (handleTrajectoryApi(source, url, response)) return;
  send(response, 404, { error: `unknown path ${url.pathname}` });
}

/** The trajectory routes (`/api/info`, `/api/trajectories`, `/api/trajectories/:index`); false for other paths. */
export function handleTrajectoryApi(source: TrajectorySource, url: URL, response: ServerResponse): boolean {
  if (url.pathname === "/api/info") {
    send(response, 200, { file: source.file, total: source.records().length, skipped: source.skipped() });
    return true;
  }
  if (url.pathname === "/api/trajectories") {
    const parsed = QuerySchema.safeParse(Object.fromEntries(url.searchParams));
    if (!parsed.success) {
      send(response, 400, {
        error: parsed.error.issues.map((issue) => `${issue.path}: ${issue.message}`).join("; "),
      });
      return true;
    }
    send(response, 200, source.list(parsed.data));
    return true;
  }
  const match = /^\/api\/trajectories\/(\d+)$/.exec(url.pathname);
  if (match) {
    const record = source.get(Number(match[1]));
    if (!record) send(response, 404, { error: `no trajectory at index ${match[1]}` });
    else send(response, 200, record);
    return true;
  }
  return false;
}

export async function startViewerServer(options: ViewerOptions): Promise<RunningServer> {
  const source = new TrajectorySource(options.path);
  const webRoot = options.webRoot ?? packageWebRoot();
  return startReadOnlyServer(options, (request, response) => handle(source, webRoot, request, response));
}
