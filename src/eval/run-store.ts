/**
 * The run directory of an evaluation: `manifest.json` (what was run), `trajectories.jsonl` (one finished
 * rollout per line, appended durably as it completes) and the reports. Resuming checks the manifest and
 * skips every (questionId, sample) already stored.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { ConfigError, DataError, NotFoundError } from "../core/errors.js";
import { readJsonlRecords } from "../core/jsonl-store.js";
import { differingSettings } from "../core/settings-diff.js";
import type { Trajectory } from "../core/trajectory.js";

export const EvalManifestSchema = z.object({
  version: z.literal(1),
  benchmark: z.string(),
  /** Selection applied to the benchmark (filter / sample / seed / limit / file). */
  selection: z.record(z.string(), z.unknown()).default({}),
  /** The question ids selected, in order (so a resume runs the same set). */
  questionIds: z.array(z.string()),
  k: z.number().int().positive(),
  protocol: z.string(),
  model: z.string().nullable(),
  baseUrl: z.string().nullable().default(null),
  search: z.string().nullable().default(null),
  judge: z.string().nullable().default(null),
  judgeModel: z.string().nullable().default(null),
  /** The named reward stored on each trajectory (`drkit eval --reward`); absent: plain EM (`eval-em`). */
  reward: z.string().nullable().optional(),
  /** Agent limits and sampling settings. */
  settings: z.record(z.string(), z.unknown()).default({}),
  createdAt: z.string(),
});
export type EvalManifest = z.infer<typeof EvalManifestSchema>;
export type EvalManifestInput = z.input<typeof EvalManifestSchema>;

export const MANIFEST_FILE = "manifest.json";
export const TRAJECTORIES_FILE = "trajectories.jsonl";

export function itemKey(questionId: string, sample: number): string {
  return `${questionId}#${sample}`;
}

/** Fields that must match for a resume (everything except the creation time). */
function comparable(manifest: EvalManifest): Record<string, unknown> {
  const { createdAt: _createdAt, ...rest } = manifest;
  return rest;
}

export function readManifest(runDirectory: string): EvalManifest {
  const path = join(runDirectory, MANIFEST_FILE);
  if (!existsSync(path)) throw new NotFoundError(`${runDirectory} is not an eval run directory (no ${MANIFEST_FILE})`);
  try {
    return EvalManifestSchema.parse(JSON.parse(readFileSync(path, "utf8")));
  } catch (error) {
    throw new DataError(`invalid run manifest: ${(error as Error).message}`, { file: path });
  }
}

/**
 * Create the run directory with this manifest, or check that an existing one was made with the same
 * settings. A different manifest is refused with the differing fields named.
 */
export function openRunDirectory(runDirectory: string, manifest: EvalManifest): void {
  mkdirSync(runDirectory, { recursive: true });
  const path = join(runDirectory, MANIFEST_FILE);
  if (!existsSync(path)) {
    const temporary = `${path}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(manifest, null, 2)}\n`);
    renameSync(temporary, path);
    return;
  }
  const differing = differingSettings(
    comparable(readManifest(runDirectory)) as Record<string, unknown>,
    comparable(manifest) as Record<string, unknown>,
  );
  if (differing.length > 0) {
    const details = differing.join("\n");
    throw new ConfigError(
      `run directory ${runDirectory} was started with different settings, so it cannot be resumed:\n${details}\nuse the original settings, or a new --run-dir`,
    );
  }
}

function isFailure(trajectory: Trajectory): boolean {
  return trajectory.termination === "error" || trajectory.error !== undefined;
}

/**
 * Stored trajectories, one per (questionId, sample): the first record, except that a later successful record
 * replaces a failed one (written by a `retryErrors` resume).
 */
export function readRunTrajectories(runDirectory: string): Trajectory[] {
  const records = readJsonlRecords<Trajectory>(join(runDirectory, TRAJECTORIES_FILE));
  const byKey = new Map<string, number>();
  const out: Trajectory[] = [];
  for (const record of records) {
    const key = itemKey(record.questionId ?? record.id, record.sample ?? 0);
    const at = byKey.get(key);
    if (at === undefined) {
      byKey.set(key, out.length);
      out.push(record);
    } else if (isFailure(out[at] as Trajectory) && !isFailure(record)) {
      out[at] = record;
    }
  }
  return out;
}
