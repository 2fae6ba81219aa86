/**
 * The workbench's view of a folder: the runs in it at any depth, found by their files rather than their names —
 * a training run (`metrics.jsonl`, with `eval.jsonl` / `run.json` when present), an evaluation run (`manifest.json`
 * + `trajectories.jsonl`), a synthesis output (`*.report.json`), a trajectories file (`*.jsonl` whose first record
 * is a trajectory). Read-only; unreadable entries are skipped.
 */
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from "node:fs";
import { basename, isAbsolute, join, relative, resolve, sep } from "node:path";

export type RunKind = "training" | "evaluation" | "synthesis" | "trajectories";

export interface RunEntry {
  /** Path relative to the workbench root (its id in the API). */
  id: string;
  kind: RunKind;
  name: string;
  /**
   * A training run's `status.json` when it has one (`running` turns into `stopped` after 10 minutes without a change:
   * a killed process writes nothing); otherwise `running` when a file of the run changed in the last 30 s, else
   * `finished`.
   */
  status: "running" | "finished" | "failed" | "cancelled" | "stopped";
  /** The error of a failed training run. */
  error?: string;
  /** When the run began: the evaluation manifest's `createdAt`, else its oldest file's creation (or change) time. */
  startedAt: string;
  modifiedAt: string;
  /** Key options (algorithm, protocol, benchmark, k …) when the run recorded them. */
  options: Record<string, unknown>;
}

const SKIP = new Set(["node_modules", ".git", ".drkit-cache", "dist"]);
const MAX_DEPTH = 8;
const RUNNING_WINDOW_MS = 30_000;

function readJson(path: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(readFileSync(path, "utf8"));
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function firstLine(path: string): string {
  const handle = openSync(path, "r");
  try {
    const buffer = Buffer.alloc(64 * 1024);
    const read = readSync(handle, buffer, 0, buffer.length, 0);
    return buffer.subarray(0, read).toString("utf8").split("\n")[0] ?? "";
  } finally {
    closeSync(handle);
  }
}

function isTrajectoryFile(path: string): boolean {
  try {
    const record = JSON.parse(firstLine(path)) as Record<string, unknown>;
    return typeof record.question === "string" && Array.isArray(record.turns) && "termination" in record;
  } catch {
    return false;
  }
}

const SILENT_RUN_MS = 10 * 60_000;

/** A training run's recorded status (`status.json`, written by drkit train / sft). */
function recordedStatus(folder: string, modified: number): Partial<Pick<RunEntry, "status" | "error">> {
  const recorded = readJson(join(folder, "status.json"));
  const status = recorded?.status;
  if (status !== "running" && status !== "finished" && status !== "failed" && status !== "cancelled") return {};
  const at = Math.max(modified, Date.parse(String(recorded?.at ?? "")) || 0);
  return {
    status: status === "running" && Date.now() - at > SILENT_RUN_MS ? "stopped" : status,
    ...(typeof recorded?.error === "string" ? { error: recorded.error } : {}),
  };
}

function pick(source: Record<string, unknown> | undefined, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) if (source?.[key] !== undefined && source[key] !== null) out[key] = source[key];
  return out;
}

function entry(
  root: string,
  path: string,
  kind: RunKind,
  files: string[],
  options: Record<string, unknown>,
  createdAt?: unknown,
): RunEntry {
  const stats = files.map((file) => statSync(file));
  const modified = Math.max(...stats.map((stat) => stat.mtimeMs));
  const recorded: Partial<Pick<RunEntry, "status" | "error">> =
    kind === "training" ? recordedStatus(path, modified) : {};
  const started =
    typeof createdAt === "string"
      ? createdAt
      : new Date(Math.min(...stats.map((stat) => stat.birthtimeMs || stat.mtimeMs))).toISOString();
  return {
    id: relative(root, path) || ".",
    kind,
    name: relative(root, path) || basename(path),
    status: recorded.status ?? (Date.now() - modified < RUNNING_WINDOW_MS ? "running" : "finished"),
    ...(recorded.error ? { error: recorded.error } : {}),
    startedAt: started,
    modifiedAt: new Date(modified).toISOString(),
    options,
  };
}

/** The training or evaluation run a folder holds, given its file names; undefined for neither. */
function folderRun(root: string, folder: string, names: readonly string[]): RunEntry | undefined {
  const has = (name: string) => names.includes(name);
  if (has("metrics.jsonl")) {
    const settings = readJson(join(folder, "run.json"));
    const options = pick((settings?.options as Record<string, unknown>) ?? settings, [
      "algorithm",
      "protocol",
      "backend",
      "baseModel",
      "groupSize",
      "seed",
      "task",
    ]);
    const files = ["metrics.jsonl", "eval.jsonl", "run.json", "status.json"]
      .filter(has)
      .map((name) => join(folder, name));
    return entry(root, folder, "training", files, options);
  }
  if (has("manifest.json") && has("trajectories.jsonl")) {
    const manifest = readJson(join(folder, "manifest.json"));
    const files = [join(folder, "trajectories.jsonl"), join(folder, "manifest.json")];
    const options = pick(manifest, ["benchmark", "protocol", "model", "k", "judge"]);
    return entry(root, folder, "evaluation", files, options, manifest?.createdAt);
  }
  return undefined;
}

/** The synthesis output or trajectories file a file is, by its name (and first record); undefined for neither. */
function fileRun(root: string, path: string): RunEntry | undefined {
  const name = basename(path);
  if (name.endsWith(".report.json")) return entry(root, path, "synthesis", [path], {});
  if (!name.endsWith(".jsonl") || ["metrics.jsonl", "eval.jsonl", "trajectories.jsonl"].includes(name))
    return undefined;
  return !name.endsWith(".dr9k.jsonl") && isTrajectoryFile(path)
    ? entry(root, path, "trajectories", [path], {})
    : undefined;
}

/** Whether the walk enters a folder of this name. */
function entered(name: string): boolean {
  return !SKIP.has(name) && !name.startsWith(".");
}

/** Every run under `root`, in path order. */
export function discoverRuns(root: string): RunEntry[] {
  const runs: RunEntry[] = [];
  const visit = (folder: string, depth: number) => {
    let names: string[];
    try {
      names = readdirSync(folder).sort();
    } catch {
      return;
    }
    const run = folderRun(root, folder, names);
    if (run) runs.push(run);
    for (const name of names) {
      const path = join(folder, name);
      if (name.endsWith(".report.json") || name.endsWith(".jsonl")) {
        const found = fileRun(root, path);
        if (found) runs.push(found);
        continue;
      }
      if (depth < MAX_DEPTH && entered(name)) {
        try {
          if (statSync(path).isDirectory()) visit(path, depth + 1);
        } catch {
          // unreadable: skipped
        }
      }
    }
  };
  visit(root, 0);
  return runs;
}

/**
 * The run with this id (a path relative to `root`), exactly as `discoverRuns` would list it, without walking the
 * folder: an id that leaves the root, passes through a folder the walk skips or lies deeper than it goes is none.
 */
export function runAt(root: string, id: string): RunEntry | undefined {
  const path = resolve(root, id);
  const rest = relative(root, path);
  if (rest.startsWith("..") || isAbsolute(rest)) return undefined;
  const parts = rest === "" ? [] : rest.split(sep);
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(path);
  } catch {
    return undefined;
  }
  const folders = stat.isDirectory() ? parts : parts.slice(0, -1);
  if (folders.length > MAX_DEPTH || !folders.every(entered)) return undefined;
  if (!stat.isDirectory()) return fileRun(root, path);
  try {
    return folderRun(root, path, readdirSync(path));
  } catch {
    return undefined;
  }
}

/** Rows of a JSONL file; half-written or bad lines are skipped and counted. */
export function readJsonlRows(path: string): { rows: Record<string, unknown>[]; skipped: number } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return { rows: [], skipped: 0 };
  }
  const rows: Record<string, unknown>[] = [];
  let skipped = 0;
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      const value = JSON.parse(line);
      if (typeof value === "object" && value !== null && !Array.isArray(value)) rows.push(value);
      else skipped += 1;
    } catch {
      skipped += 1;
    }
  }
  return { rows, skipped };
}
