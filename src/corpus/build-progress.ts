/**
 * The partial store of a resumable corpus build: `.build-partial.sqlite` in the corpus folder, committed every
 * so many passages together with a progress record (which file, how many of its records are stored, the counts so
 * far) in its `meta` table, so a killed or cancelled build continues where the last commit left it. A partial made
 * from other source files (path, size, modification time) or other settings is discarded, not resumed.
 */
import { existsSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { z } from "zod";
import { CORPUS_FORMATS } from "./formats.js";
import { CorpusSourceSchema, SCHEMA_SQL } from "./store-layout.js";

export const PARTIAL_FILE = ".build-partial.sqlite";

const FingerprintSchema = z.object({
  files: z.array(z.object({ file: z.string(), size: z.number(), mtimeMs: z.number() })),
  format: z.string(),
  titleWeight: z.number(),
});
export type BuildFingerprint = z.infer<typeof FingerprintSchema>;

export const BuildProgressSchema = z.object({
  fingerprint: FingerprintSchema,
  /** The source file being loaded (index into the fingerprint's files), or files.length when all are. */
  fileIndex: z.number().int(),
  /** Records of that file whose passages are all stored. */
  recordsInFile: z.number().int(),
  /** Its format once detected. */
  fileFormat: z.enum(CORPUS_FORMATS).optional(),
  /** Passages stored before that file. */
  fileStartPassages: z.number().int(),
  counts: z.object({
    passages: z.number().int(),
    /** Records of the completed files. */
    records: z.number().int(),
    duplicates: z.number().int(),
    empty: z.number().int(),
  }),
  /** The manifest entries of the completed files. */
  sources: z.array(CorpusSourceSchema),
});
export type BuildProgress = z.infer<typeof BuildProgressSchema>;

/** What a build depends on: each source's path, size and modification time, the format and the title weight. */
export function buildFingerprint(files: readonly string[], format: string, titleWeight: number): BuildFingerprint {
  return {
    files: files.map((file) => {
      const stat = statSync(file);
      return { file, size: stat.size, mtimeMs: stat.mtimeMs };
    }),
    format,
    titleWeight,
  };
}

/** Remove a partial store and its journal. */
export function removePartial(path: string): void {
  for (const suffix of ["", "-journal", "-wal", "-shm"]) rmSync(`${path}${suffix}`, { force: true });
}

function readProgress(database: Database.Database): BuildProgress | undefined {
  try {
    const value = database.prepare("SELECT value FROM meta WHERE key = 'buildProgress'").pluck().get();
    return value === undefined ? undefined : BuildProgressSchema.parse(JSON.parse(String(value)));
  } catch {
    return undefined;
  }
}

function configure(database: Database.Database): void {
  // A rollback journal (not journal_mode=OFF): a kill in the middle of a commit must leave the last commit intact.
  database.pragma("journal_mode = DELETE");
  database.pragma("synchronous = OFF");
  database.pragma("cache_size = -262144");
  database.pragma("temp_store = MEMORY");
  database.pragma("locking_mode = EXCLUSIVE");
}

/**
 * Open the partial store to continue (its progress matches `fingerprint`) or start a new one; `progress` is
 * undefined for a new one.
 */
export function openPartialStore(
  directory: string,
  fingerprint: BuildFingerprint,
  titleWeight: number,
): { database: Database.Database; path: string; progress: BuildProgress | undefined } {
  const path = join(directory, PARTIAL_FILE);
  if (existsSync(path)) {
    let database: Database.Database | undefined;
    try {
      database = new Database(path);
      const progress = readProgress(database);
      if (progress && JSON.stringify(progress.fingerprint) === JSON.stringify(fingerprint)) {
        configure(database);
        return { database, path, progress };
      }
    } catch {
      // unreadable: started again below
    }
    database?.close();
    removePartial(path);
  }
  const database = new Database(path);
  configure(database);
  database.exec(SCHEMA_SQL);
  database.prepare("INSERT INTO fts(fts, rank) VALUES ('rank', ?)").run(`bm25(${titleWeight}, 1.0)`);
  // Flush FTS5's in-memory term hash less often (fewer, larger segments to merge).
  database.exec(`INSERT INTO fts(fts, rank) VALUES ('hashsize', ${64 * 1024 * 1024})`);
  // No incremental merging while loading: the final 'optimize' merges every segment once.
  database.exec("INSERT INTO fts(fts, rank) VALUES ('automerge', 0)");
  database.exec("INSERT INTO fts(fts, rank) VALUES ('crisismerge', 100000)");
  return { database, path, progress: undefined };
}

/** Record progress; call inside the transaction that stored those passages, just before its COMMIT. */
export function saveProgress(database: Database.Database, progress: BuildProgress): void {
  database
    .prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('buildProgress', ?)")
    .run(JSON.stringify(progress));
}

/** Whether the partial store holds committed progress worth resuming. */
export function hasCommittedProgress(database: Database.Database): boolean {
  return readProgress(database) !== undefined;
}

export function clearProgress(database: Database.Database): void {
  database.prepare("DELETE FROM meta WHERE key = 'buildProgress'").run();
}
