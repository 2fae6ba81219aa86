/**
 * Append-only JSONL files that survive `kill -9`: each record is one line written with a single
 * `appendFileSync` (and fsync), and a reader drops a torn last line (a write cut short by a kill) so a
 * restarted run re-does that item instead of failing. Resumable stages key their records by id.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, truncateSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { DataError } from "./errors.js";

export interface ReadJsonlOptions {
  /** Drop (and truncate away) an unparsable final line left by an interrupted write. Default true. */
  repairTornTail?: boolean;
}

/** Read every record of a JSONL file written by `JsonlWriter`. Missing file → []. */
export function readJsonlRecords<T = unknown>(path: string, options: ReadJsonlOptions = {}): T[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, "utf8");
  const records: T[] = [];
  let offset = 0;
  let lineNumber = 0;
  while (offset < text.length) {
    const end = text.indexOf("\n", offset);
    const line = end === -1 ? text.slice(offset) : text.slice(offset, end);
    lineNumber += 1;
    const isLast = end === -1 || end === text.length - 1;
    if (line.trim() !== "") {
      try {
        records.push(JSON.parse(line) as T);
      } catch (error) {
        if (isLast && end === -1 && options.repairTornTail !== false) {
          // A torn final write (no trailing newline): cut it off so the next append starts clean.
          truncateSync(path, Buffer.byteLength(text.slice(0, offset), "utf8"));
          break;
        }
        throw new DataError(`invalid JSON: ${(error as Error).message}`, { file: path, line: lineNumber });
      }
    }
    if (end === -1) break;
    offset = end + 1;
  }
  return records;
}

/** Appends one JSON record per line; each append is durable before `append` returns. */
export class JsonlWriter {
  private fd: number | undefined;

  constructor(
    readonly path: string,
    private readonly durable = true,
  ) {}

  append(record: unknown): void {
    if (this.fd === undefined) {
      mkdirSync(dirname(this.path), { recursive: true });
      // Repair a torn tail before appending after it.
      readJsonlRecords(this.path);
      this.fd = openSync(this.path, "a");
    }
    writeSync(this.fd, `${JSON.stringify(record)}\n`);
    if (this.durable) fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
