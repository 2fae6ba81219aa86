/** Reading trajectory and question JSONL files with file:line errors, and writing outputs atomically. */
import { createReadStream, existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { createInterface } from "node:readline";
import { DataError, NotFoundError } from "../core/errors.js";
import { type Trajectory, TrajectorySchema } from "../core/trajectory.js";

/** Yield each non-empty line's parsed JSON with its 1-based line number. */
export async function* readJsonLines(path: string): AsyncGenerator<{ value: unknown; line: number }> {
  if (!existsSync(path)) throw new NotFoundError(`file ${path} does not exist`);
  const lines = createInterface({ input: createReadStream(path, "utf8"), crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  for await (const text of lines) {
    line += 1;
    if (text.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new DataError(`invalid JSON: ${(error as Error).message}`, { file: path, line });
    }
    yield { value, line };
  }
}

/** Read and validate a trajectory JSONL file (one Trajectory record per line). */
export async function readTrajectoryFile(path: string): Promise<Trajectory[]> {
  const trajectories: Trajectory[] = [];
  for await (const { value, line } of readJsonLines(path)) {
    const parsed = TrajectorySchema.safeParse(value);
    if (!parsed.success) {
      const issues = parsed.error.issues
        .slice(0, 5)
        .map((issue) => `${issue.path.join(".") || "(record)"}: ${issue.message}`)
        .join("; ");
      throw new DataError(`not a drkit trajectory record: ${issues}`, { file: path, line });
    }
    trajectories.push(parsed.data);
  }
  return trajectories;
}

/** Write a file atomically: a killed run leaves either the old file or the complete new one. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, data);
  renameSync(temporary, path);
}

export function writeJsonlAtomic(path: string, records: readonly unknown[]): void {
  writeFileAtomic(path, records.map((record) => `${JSON.stringify(record)}\n`).join(""));
}
