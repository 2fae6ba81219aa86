/**
 * The workbench: `drkit view <folder>` over a folder of runs. A read-only HTTP server on 127.0.0.1 serving the page in
 * `web/workbench.*`, uPlot from the package's own dependencies (the page loads nothing from the network), and a JSON
 * API over the runs found in the folder (src/serve/run-discovery.ts).
 *
 *   GET /                         the workbench page
 *   GET /api/runs                 {root, runs: RunEntry[]}
 *   GET /api/runs/scalars?id=ID   {id, metrics: rows, eval: rows, skipped}   (training runs)
 *   GET /api/runs/synthesis?id=ID {report, sources: [{sourceId, question, answer, levels, evidence}], more, skipped}
 *   GET /api/evaluations/compare?a=ID&b=ID   two evaluation runs item by item (src/eval/item-compare.ts)
 *   GET /runs/report?id=ID        an evaluation run's report.html
 *   GET /viewer?source=ID         the trajectory viewer on an evaluation run or trajectories file, whose API
 *                                 (`/api/info`, `/api/trajectories[/:index]`) takes the same `source=ID`
 */
import { existsSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { compareItems } from "../eval/item-compare.js";
import { readRunTrajectories } from "../eval/run-store.js";
import type { ListeningServer } from "./http.js";
import { packageWebRoot, type StaticAsset, sendFile, sendUncached, startReadOnlyServer } from "./read-only-server.js";
import type { RequestGuardOptions } from "./request-guard.js";
import { discoverRuns, type RunEntry, type RunKind, readJsonlRows, runAt } from "./run-discovery.js";
import { synthesisView } from "./synthesis-view.js";
import { TrajectorySource } from "./trajectory-source.js";
import { handleTrajectoryApi, viewerAssets } from "./viewer-server.js";

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

function assets(webRoot: string): Record<string, StaticAsset> {
  const uplot = dirname(createRequire(import.meta.url).resolve("uplot"));
  const { "/": viewerPage, ...viewerFiles } = viewerAssets(webRoot);
  return {
    "/": { path: join(webRoot, "workbench.html"), type: "text/html; charset=utf-8" },
    "/workbench.js": { path: join(webRoot, "workbench.js"), type: "text/javascript; charset=utf-8" },
    "/workbench.css": { path: join(webRoot, "workbench.css"), type: "text/css; charset=utf-8" },
    "/viewer": viewerPage as StaticAsset,
    ...viewerFiles,
    "/vendor/uPlot.iife.min.js": { path: join(uplot, "uPlot.iife.min.js"), type: "text/javascript; charset=utf-8" },
    "/vendor/uPlot.min.css": { path: join(uplot, "uPlot.min.css"), type: "text/css; charset=utf-8" },
  };
}

/** The run of the folder an API call names (`?id=` / `?source=`), only among the runs found there. */
function findRun(root: string, id: string, kinds: readonly RunKind[]): RunEntry | undefined {
  const run = id === "" ? undefined : runAt(root, id);
  return run && kinds.includes(run.kind) ? run : undefined;
}

/** Trajectory sources of the folder's evaluation runs and trajectory files, opened once per server. */
type SourceCache = Map<string, TrajectorySource>;

function trajectorySource(root: string, id: string, sources: SourceCache): TrajectorySource | undefined {
  const run = findRun(root, id, ["evaluation", "trajectories"]);
  if (!run) return undefined;
  const key = join(root, run.id);
  let source = sources.get(key);
  if (!source) {
    source = new TrajectorySource(key);
    sources.set(key, source);
  }
  return source;
}

function handle(root: string, sources: SourceCache, url: URL, response: ServerResponse): void {
  if (url.pathname === "/favicon.ico") {
    response.writeHead(204, { "cache-control": "max-age=86400" });
    response.end();
    return;
  }
  if (url.pathname === "/api/runs") {
    send(response, 200, { root, runs: discoverRuns(root) });
    return;
  }
  if (url.pathname === "/api/runs/scalars") {
    const id = url.searchParams.get("id") ?? "";
    // Only runs the folder holds: an id outside it, under a folder discovery skips, or not a run is none.
    const run = findRun(root, id, ["training"]);
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
  if (url.pathname === "/api/runs/synthesis") {
    const run = findRun(root, url.searchParams.get("id") ?? "", ["synthesis"]);
    if (!run) send(response, 404, { error: "no synthesis output with that id in the folder" });
    else send(response, 200, synthesisView(join(root, run.id)));
    return;
  }
  if (url.pathname === "/api/evaluations/compare") {
    const a = findRun(root, url.searchParams.get("a") ?? "", ["evaluation"]);
    const b = findRun(root, url.searchParams.get("b") ?? "", ["evaluation"]);
    if (!a || !b) send(response, 404, { error: "name two evaluation runs of the folder with ?a=<run id>&b=<run id>" });
    else
      send(response, 200, {
        a: a.id,
        b: b.id,
        ...compareItems(readRunTrajectories(join(root, a.id)), readRunTrajectories(join(root, b.id))),
      });
    return;
  }
  if (url.pathname === "/runs/report") {
    const run = findRun(root, url.searchParams.get("id") ?? "", ["evaluation"]);
    const report = run ? join(root, run.id, "report.html") : undefined;
    if (!report || !existsSync(report)) {
      send(response, 404, { error: "no report.html for that evaluation run (drkit eval report <run-dir> writes it)" });
      return;
    }
    sendFile(response, { path: report, type: "text/html; charset=utf-8" });
    return;
  }
  if (url.pathname.startsWith("/api/info") || url.pathname.startsWith("/api/trajectories")) {
    const source = trajectorySource(root, url.searchParams.get("source") ?? "", sources);
    if (!source) {
      send(response, 404, { error: "name an evaluation run or trajectories file of the folder with ?source=<run id>" });
      return;
    }
    if (handleTrajectoryApi(source, url, response)) return;
  }
  send(response, 404, { error: `unknown path ${url.pathname}` });
}

export async function startWorkbenchServer(options: WorkbenchOptions): Promise<ListeningServer> {
  const root = resolve(options.path);
  const files = assets(options.webRoot ?? packageWebRoot());
  const sources: SourceCache = new Map();
  return startReadOnlyServer(options, "workbench", files, (url, response) => handle(root, sources, url, response));
}
