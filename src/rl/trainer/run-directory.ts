/**
 * A training run directory: `run.json` (options), `metrics.jsonl` (one record per step), `eval.jsonl`,
 * optional `rollouts.jsonl`, and `checkpoint/` (policy + `trainer-state.json`).
 *
 * Resume rule: a killed run restarts from the last checkpoint; records of steps after the checkpoint are
 * dropped from every JSONL file first, and those steps are re-run with the same per-step seeds, so the
 * files end up with each step exactly once.
 */

import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { CancelledError, DataError, describeError } from "../../core/errors.js";
import { JsonlWriter, readJsonlRecords } from "../../core/jsonl-store.js";

const TrainerStateSchema = z.object({ step: z.number().int().nonnegative(), savedAt: z.string() });
export type TrainerState = z.infer<typeof TrainerStateSchema>;

export class RunDirectory {
  readonly metrics: JsonlWriter;
  readonly evaluations: JsonlWriter;
  readonly rollouts: JsonlWriter;

  constructor(readonly path: string) {
    mkdirSync(path, { recursive: true });
    // A kill in the middle of a checkpoint swap leaves the previous checkpoint as `checkpoint.old-<pid>`.
    if (!existsSync(this.checkpointPath)) {
      const previous = readdirSync(path).find((name) => name.startsWith("checkpoint.old-"));
      if (previous) renameSync(join(path, previous), this.checkpointPath);
    }
    this.metrics = new JsonlWriter(join(path, "metrics.jsonl"));
    this.evaluations = new JsonlWriter(join(path, "eval.jsonl"));
    this.rollouts = new JsonlWriter(join(path, "rollouts.jsonl"), false);
  }

  get checkpointPath(): string {
    return join(this.path, "checkpoint");
  }

  /** The saved state, or undefined for a fresh run. */
  state(): TrainerState | undefined {
    const file = join(this.checkpointPath, "trainer-state.json");
    if (!existsSync(file)) return undefined;
    const parsed = TrainerStateSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
    if (!parsed.success) throw new DataError("invalid trainer state; delete the run directory to start over", { file });
    return parsed.data;
  }

  /** Save the policy and the trainer state together (one atomic directory swap). */
  async saveCheckpoint(
    policy: { save(directory: string, extraFiles?: Record<string, string>): Promise<void> },
    step: number,
  ) {
    const state: TrainerState = { step, savedAt: new Date().toISOString() };
    await policy.save(this.checkpointPath, { "trainer-state.json": `${JSON.stringify(state)}\n` });
  }

  /** Run options saved at the start; a resume with different options is refused. */
  options<T>(current: T, compare: (saved: T, current: T) => string | undefined): void {
    const file = join(this.path, "run.json");
    if (!existsSync(file)) {
      writeFileSync(file, `${JSON.stringify(current, null, 2)}\n`);
      return;
    }
    const problem = compare(JSON.parse(readFileSync(file, "utf8")) as T, current);
    if (problem) throw new DataError(`${problem}; use a new --run-dir or the original options`, { file });
  }

  /** Drop records whose `step` is after `step` (work done after the last checkpoint). */
  truncateAfter(step: number): void {
    for (const writer of [this.metrics, this.evaluations, this.rollouts]) {
      writer.close();
      if (!existsSync(writer.path)) continue;
      const records = readJsonlRecords<Record<string, unknown>>(writer.path);
      const keep = records.filter((record) => {
        const metadata = record.metadata as Record<string, unknown> | undefined;
        const recordStep = typeof record.step === "number" ? record.step : (metadata?.step as number | undefined);
        return typeof recordStep !== "number" || recordStep <= step;
      });
      if (keep.length === records.length) continue;
      const text = keep.map((record) => `${JSON.stringify(record)}\n`).join("");
      writeFileSync(`${writer.path}.tmp`, text);
      renameSync(`${writer.path}.tmp`, writer.path);
    }
  }

  close(): void {
    this.metrics.close();
    this.evaluations.close();
    this.rollouts.close();
  }

  /** `status.json`: running, finished, failed (with the error) or cancelled — what the workbench shows. */
  markStatus(status: RunStatus, error?: string): void {
    const file = join(this.path, "status.json");
    writeFileSync(
      `${file}.tmp`,
      `${JSON.stringify({ status, at: new Date().toISOString(), ...(error ? { error } : {}) })}\n`,
    );
    renameSync(`${file}.tmp`, file);
  }
}

export type RunStatus = "running" | "finished" | "failed" | "cancelled";

/** Run `work` with the run's status recorded: running, then finished, failed or cancelled. */
export async function withRunStatus<T>(run: RunDirectory, work: () => Promise<T>): Promise<T> {
  run.markStatus("running");
  try {
    const result = await work();
    run.markStatus("finished");
    return result;
  } catch (error) {
    run.markStatus(error instanceof CancelledError ? "cancelled" : "failed", describeError(error));
    throw error;
  }
}
