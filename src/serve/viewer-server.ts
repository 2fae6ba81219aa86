import type { ServerResponse } from "node:http";
import { join } from "node:path";
import { z } from "zod";
import type { ListeningServer } from "./http.js";
import { packageWebRoot, type StaticAsset, sendUncached, startReadOnlyServer } from "./read-only-server.js";
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

/** The viewer page's files in `webRoot`. */
export function viewerAssets(webRoot: string): Record<string, StaticAsset> {
  return {
    "/": { path: join(webRoot, "viewer.html"), type: "text/html; charset=utf-8" },
    "/viewer.js": { path: join(webRoot, "viewer.js"), type: "text/javascript; charset=utf-8" },
    "/viewer.css": { path: join(webRoot, "viewer.css"), type: "text/css; charset=utf-8" },
  };
}

const send = sendUncached;

function handle(source: TrajectorySource, url: URL, response: ServerResponse): void {
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
  return startReadOnlyServer(options, "viewer", viewerAssets(webRoot), (url, response) =>
    handle(source, url, response),
  );
}
