/**
 * Read-only access to trajectory records for the viewer: a JSONL file of `Trajectory` records, or a run
 * directory holding `trajectories.jsonl`. The file is re-read when it changes, so a live run can be watched.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { NotFoundError } from "../core/errors.js";
import { type Trajectory, TrajectorySchema } from "../core/trajectory.js";

export interface TrajectorySummary {
  index: number;
  id: string;
  questionId: string | undefined;
  question: string;
  prediction: string | null;
  goldAnswers: string[];
  termination: string;
  turns: number;
  toolCalls: number;
  score: number | undefined;
  correct: boolean | null | undefined;
  protocol: string;
  model: string | undefined;
  sample: number;
  durationMs: number;
  hasTokens: boolean;
  /** Training rollouts: the group (uid), the step and the advantage the trainer gave it, when saved. */
  group?: string;
  step?: number;
  advantage?: number;
}

export interface TrajectoryPage {
  total: number;
  items: TrajectorySummary[];
}

export interface TrajectoryQuery {
  offset?: number;
  limit?: number;
  /** Case-insensitive text matched against question, prediction and gold answers. */
  search?: string;
  termination?: string;
  /** "correct" | "incorrect" (by reward score > 0, else by verdict). */
  outcome?: string;
  /** The rollout group: records whose `metadata.uid` is this (with `step`, of that training step). */
  group?: string;
  step?: number;
}

/** Finds the trajectories file: the path itself, or `<dir>/trajectories.jsonl`. */
export function resolveTrajectoryFile(path: string): string {
  if (!existsSync(path)) throw new NotFoundError(`no such file or directory: ${path}`);
  if (statSync(path).isDirectory()) {
    const inner = join(path, "trajectories.jsonl");
    if (!existsSync(inner))
      throw new NotFoundError(`${path} has no trajectories.jsonl; pass a run directory or a file`);
    return inner;
  }
  return path;
}

function summarize(trajectory: Trajectory, index: number): TrajectorySummary {
  const verdict = trajectory.verdicts.find((item) => item.status === "ok");
  return {
    index,
    id: trajectory.id,
    questionId: trajectory.questionId,
    question: trajectory.question,
    prediction: trajectory.prediction,
    goldAnswers: trajectory.goldAnswers,
    termination: trajectory.termination,
    turns: trajectory.turns.length,
    toolCalls: trajectory.usage.toolCalls,
    score: trajectory.reward?.score,
    correct: verdict ? verdict.correct : trajectory.reward ? trajectory.reward.score > 0 : undefined,
    protocol: trajectory.protocol,
    model: trajectory.model,
    sample: trajectory.sample,
    durationMs: trajectory.timings.durationMs,
    hasTokens: trajectory.tokens !== undefined,
    ...(typeof trajectory.metadata.uid === "string" ? { group: trajectory.metadata.uid } : {}),
    ...(typeof trajectory.metadata.step === "number" ? { step: trajectory.metadata.step } : {}),
    ...(typeof trajectory.metadata.advantage === "number" ? { advantage: trajectory.metadata.advantage } : {}),
  };
}

export class TrajectorySource {
  private cache: { mtimeMs: number; size: number; records: Trajectory[]; skipped: number } | undefined;
  readonly file: string;

  constructor(path: string) {
    this.file = resolveTrajectoryFile(path);
  }

  /** All records; invalid lines are skipped (the viewer must never fail on one bad record). */
  records(): Trajectory[] {
    const stats = statSync(this.file);
    if (this.cache && this.cache.mtimeMs === stats.mtimeMs && this.cache.size === stats.size) return this.cache.records;
    const records: Trajectory[] = [];
    let skipped = 0;
    // Read-only and tolerant: a malformed line, or a last line still being written, is skipped, never repaired.
    for (const line of readFileSync(this.file, "utf8").split("\n")) {
      if (line.trim() === "") continue;
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch {
        skipped += 1;
        continue;
      }
      const parsed = TrajectorySchema.safeParse(raw);
      if (parsed.success) records.push(parsed.data);
      else skipped += 1;
    }
    this.cache = { mtimeMs: stats.mtimeMs, size: stats.size, records, skipped };
    return records;
  }

  /** Lines of the file that were not valid trajectory records (bad JSON, a half-written last line, another schema). */
  skipped(): number {
    this.records();
    return this.cache?.skipped ?? 0;
  }

  list(query: TrajectoryQuery = {}): TrajectoryPage {
    const needle = query.search?.trim().toLowerCase();
    const all = this.records()
      .map((record, index) => summarize(record, index))
      .filter((item) => {
        if (query.termination && item.termination !== query.termination) return false;
        if (query.outcome === "correct" && item.correct !== true) return false;
        if (query.outcome === "incorrect" && item.correct !== false) return false;
        if (query.group !== undefined && item.group !== query.group) return false;
        if (query.step !== undefined && item.step !== query.step) return false;
        if (!needle) return true;
        const haystack = [item.question, item.prediction ?? "", ...item.goldAnswers, item.questionId ?? ""]
          .join("\n")
          .toLowerCase();
        return haystack.includes(needle);
      });
    const offset = Math.max(0, query.offset ?? 0);
    const limit = Math.min(500, Math.max(1, query.limit ?? 50));
    return { total: all.length, items: all.slice(offset, offset + limit) };
  }

  get(index: number): Trajectory | undefined {
    return this.records()[index];
  }
}
