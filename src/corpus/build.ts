/**
 * `buildCorpus`: stream passages from source files into a new SQLite store with an FTS5 BM25 index.
 *
 * The store is written to a partial file next to the target and renamed over it only when complete, so a failed
 * or cancelled build leaves the previous corpus untouched. The partial file is committed every `commitEvery`
 * passages with a progress record (build-progress.ts): a killed or cancelled build resumes there when run again
 * with the same sources and settings; a build that stopped on bad data or before its first commit leaves nothing. Passages are
 * deduplicated by id (first wins) and by title+text. Missing ids follow data/README.md's HotpotQA rule
 * (`<slug>-<sha1(title)[0:8]>`); when that id is already taken by a different paragraph of the same title
 * (e.g. MuSiQue), `-2`, `-3`, ... is appended in ingest order.
 */
import { hash as digest } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import type Database from "better-sqlite3";
import { CancelledError, DataError, InputError } from "../core/errors.js";
import { createProgress, type Progress } from "../core/progress.js";
import {
  type BuildFingerprint,
  type BuildProgress,
  buildFingerprint,
  clearProgress,
  hasCommittedProgress,
  openPartialStore,
  removePartial,
  saveProgress,
} from "./build-progress.js";
import {
  CORPUS_FORMATS,
  type CorpusFormat,
  type CorpusFormatOption,
  candidatesFromRecord,
  detectFormat,
} from "./formats.js";
import { readRecords } from "./record-reader.js";
import { buildSearchIndex, removeOtherIndexes } from "./search-index.js";
import {
  CORPUS_FILE,
  CORPUS_SCHEMA_VERSION,
  type CorpusManifest,
  CorpusManifestSchema,
  corpusDirectory,
  FTS_TOKENIZER,
  MANIFEST_FILE,
  TERM_STATISTICS_SQL,
} from "./store-layout.js";
import { passageIdForTitle } from "./text.js";

export interface BuildCorpusOptions {
  name: string;
  /** Source files, ingested in order. */
  from: readonly string[];
  /** Format of every source, or `auto` (default): detected per file from its first record. */
  format?: CorpusFormatOption;
  /** drkit home (default $DRKIT_HOME or `.drkit`). */
  home?: string;
  /** BM25 weight of the title column relative to the text column (default 2). */
  titleWeight?: number;
  /** Passages parsed before they are written to the store (default 20000). */
  batchSize?: number;
  /** No progress output. */
  quiet?: boolean;
  signal?: AbortSignal;
  /** Build the LanceDB search index (default true); without it the corpus is searched with FTS5 (exact BM25). */
  searchIndex?: boolean;
  /** Passages stored between commits of the partial store, the points a stopped build resumes from (default 200000). */
  commitEvery?: number;
}

export interface BuildCorpusResult {
  manifest: CorpusManifest;
  /** The corpus directory. */
  directory: string;
}

const TEMP_PREFIX = ".build-";

/** The index folder the current manifest names (open readers may still search it), if any. */
function previousIndexFolder(directory: string): string | undefined {
  try {
    const manifest = CorpusManifestSchema.parse(JSON.parse(readFileSync(join(directory, MANIFEST_FILE), "utf8")));
    return manifest.searchIndex?.folder;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Remove temporary build files left by builds that were killed (their process is gone). */
async function removeStaleTemporaries(directory: string): Promise<void> {
  if (!existsSync(directory)) return;
  for (const entry of await readdir(directory)) {
    const match = /^\.build-(\d+)-/.exec(entry);
    if (match && !isAlive(Number(match[1]))) rmSync(join(directory, entry), { force: true });
  }
}

function contentHash(title: string, text: string): bigint {
  return digest("sha1", `${title}\u0000${text}`, "buffer").readBigInt64BE(0);
}

interface LoadState {
  progress: BuildProgress;
  sinceCommit: number;
}

interface LoadContext {
  database: Database.Database;
  files: readonly string[];
  format: CorpusFormatOption;
  batchSize: number;
  commitEvery: number;
  totalBytes: number;
  progress: Progress;
  signal: AbortSignal | undefined;
}

/** The passage writer: dedupe by id and by title+text; a missing id is the HotpotQA slug id, suffixed when taken. */
function passageWriter(database: Database.Database, counts: BuildProgress["counts"]) {
  const insertPassage = database.prepare("INSERT OR IGNORE INTO passages (id, title, text, hash) VALUES (?, ?, ?, ?)");
  const insertFts = database.prepare("INSERT INTO fts (rowid, title, text) VALUES (?, ?, ?)");
  const hashExists = database.prepare("SELECT 1 FROM passages WHERE hash = ?").pluck();
  return (id: string | undefined, title: string, text: string): void => {
    const hash = contentHash(title, text);
    let candidate = id ?? passageIdForTitle(title);
    let suffix = 1;
    for (;;) {
      const result = insertPassage.run(candidate, title, text, hash);
      if (result.changes === 1) {
        insertFts.run(result.lastInsertRowid, title, text);
        counts.passages++;
        return;
      }
      if (hashExists.get(hash) !== undefined || id !== undefined) {
        counts.duplicates++;
        return;
      }
      suffix++;
      candidate = `${passageIdForTitle(title)}-${suffix}`;
    }
  };
}

/**
 * Stream every source into the partial store from where `state.progress` says, committing with the progress every
 * `commitEvery` passages and at the end of each file. Each transaction spans many batches (FTS5 writes a segment
 * when its 64 MB term hash fills, not per batch).
 */
async function loadPassages(context: LoadContext, state: LoadState): Promise<void> {
  const { database, files } = context;
  const progress = state.progress;
  const write = passageWriter(database, progress.counts);
  let bytesDone = files.slice(0, progress.fileIndex).reduce((sum, file) => sum + statSync(file).size, 0);
  const commit = () => {
    saveProgress(database, progress);
    database.exec("COMMIT");
    database.exec("BEGIN");
    state.sinceCommit = 0;
  };
  database.exec("BEGIN");
  for (; progress.fileIndex < files.length; progress.fileIndex++) {
    const file = files[progress.fileIndex] as string;
    const skip = progress.recordsInFile;
    let fileRecords = 0;
    let batch: { id: string | undefined; title: string; text: string }[] = [];
    const flush = (fileBytes: number) => {
      const before = progress.counts.passages;
      for (const item of batch) write(item.id, item.title, item.text);
      batch = [];
      progress.recordsInFile = fileRecords;
      state.sinceCommit += progress.counts.passages - before;
      const done = bytesDone + fileBytes;
      const passages = progress.counts.passages;
      context.progress.setTotal(
        done > 0 ? Math.max(passages, Math.round((passages / done) * context.totalBytes)) : passages,
      );
      context.progress.increment(passages - before, { duplicates: progress.counts.duplicates });
      if (state.sinceCommit >= context.commitEvery) commit();
    };
    let fileBytes = 0;
    for await (const record of readRecords(file)) {
      if (context.signal?.aborted) throw new CancelledError("corpus build cancelled");
      progress.fileFormat ??= detectedFormat(context.format, record.value, file, record.line);
      fileRecords++;
      fileBytes = record.bytesRead;
      if (fileRecords <= skip) continue;
      for (const candidate of candidatesFromRecord(progress.fileFormat, record.value, file, record.line)) {
        if (candidate.text.trim() === "") progress.counts.empty++;
        else batch.push({ id: candidate.id, title: candidate.title, text: candidate.text });
      }
      if (batch.length >= context.batchSize) flush(fileBytes);
    }
    flush(fileBytes);
    bytesDone += statSync(file).size;
    progress.counts.records += fileRecords;
    progress.sources.push({
      file,
      format: progress.fileFormat ?? (context.format === "auto" ? "jsonl" : context.format),
      records: fileRecords,
      passages: progress.counts.passages - progress.fileStartPassages,
    });
    progress.recordsInFile = 0;
    progress.fileFormat = undefined;
    progress.fileStartPassages = progress.counts.passages;
    if (progress.fileIndex + 1 < files.length) {
      progress.fileIndex++;
      commit();
      progress.fileIndex--;
    }
  }
  if (context.signal?.aborted) throw new CancelledError("corpus build cancelled");
  saveProgress(database, progress);
  database.exec("COMMIT");
}

function detectedFormat(format: CorpusFormatOption, value: unknown, file: string, line: number): CorpusFormat {
  if (format !== "auto") return format;
  const detected = detectFormat(value);
  if (detected === undefined)
    throw new DataError(
      `cannot detect the corpus format of this record; pass --format (${CORPUS_FORMATS.join(", ")})`,
      {
        file,
        line,
      },
    );
  return detected;
}

/** After the load: the title index, one FTS5 merge, the term statistics (each safe to run again on a resume). */
function finishStore(database: Database.Database): number {
  database.exec("CREATE INDEX IF NOT EXISTS passages_title ON passages (title COLLATE NOCASE)");
  database.exec("INSERT INTO fts(fts) VALUES ('optimize')");
  database.exec("INSERT INTO fts(fts, rank) VALUES ('automerge', 4)");
  database.exec("INSERT INTO fts(fts, rank) VALUES ('crisismerge', 16)");
  database.exec("DROP TABLE IF EXISTS term_df");
  database.exec(TERM_STATISTICS_SQL);
  return database.prepare("SELECT COUNT(DISTINCT title) FROM passages").pluck().get() as number;
}

function checkedOptions(options: BuildCorpusOptions) {
  const format = options.format ?? "auto";
  if (format !== "auto" && !(CORPUS_FORMATS as readonly string[]).includes(format)) {
    throw new InputError(`unknown corpus format "${format}": use auto, ${CORPUS_FORMATS.join(", ")}`);
  }
  if (options.from.length === 0) throw new InputError("no source files: pass at least one file with --from");
  const files = options.from.map((file) => resolve(file));
  let totalBytes = 0;
  for (const file of files) {
    if (!existsSync(file)) throw new InputError(`source file not found: ${file}`);
    totalBytes += statSync(file).size;
  }
  const titleWeight = options.titleWeight ?? 2;
  if (!(titleWeight > 0 && Number.isFinite(titleWeight))) throw new InputError("titleWeight must be a positive number");
  return {
    format,
    files,
    totalBytes,
    titleWeight,
    batchSize: Math.max(1, options.batchSize ?? 20_000),
    commitEvery: Math.max(1, options.commitEvery ?? 200_000),
  };
}

function newProgress(fingerprint: BuildFingerprint): BuildProgress {
  return {
    fingerprint,
    fileIndex: 0,
    recordsInFile: 0,
    fileStartPassages: 0,
    counts: { passages: 0, records: 0, duplicates: 0, empty: 0 },
    sources: [],
  };
}

/** Whether a stopped build keeps its partial store to resume: committed progress, and not stopped by bad data. */
function keepsPartial(database: Database.Database | undefined, error: unknown): boolean {
  if (!database?.open || error instanceof DataError || error instanceof InputError) return false;
  try {
    if (database.inTransaction) database.exec("ROLLBACK");
    return hasCommittedProgress(database);
  } catch {
    return false;
  }
}

export async function buildCorpus(options: BuildCorpusOptions): Promise<BuildCorpusResult> {
  const directory = corpusDirectory(options.name, options.home);
  const checked = checkedOptions(options);
  const createdDirectory = !existsSync(directory);
  mkdirSync(directory, { recursive: true });
  await removeStaleTemporaries(directory);
  const fingerprint = buildFingerprint(checked.files, checked.format, checked.titleWeight);
  const started = Date.now();
  const progress = createProgress({ label: `build ${options.name}`, total: 1, quiet: options.quiet });
  let database: Database.Database | undefined;
  let partialPath: string | undefined;
  let searchIndex: CorpusManifest["searchIndex"];
  try {
    const partial = openPartialStore(directory, fingerprint, checked.titleWeight);
    database = partial.database;
    partialPath = partial.path;
    const state: LoadState = { progress: partial.progress ?? newProgress(fingerprint), sinceCommit: 0 };
    if (partial.progress && !options.quiet)
      process.stderr.write(
        `resuming the build of "${options.name}" after ${partial.progress.counts.passages} stored passages\n`,
      );
    progress.increment(state.progress.counts.passages);
    await loadPassages({ database, ...checked, progress, signal: options.signal }, state);
    const titles = finishStore(database);
    progress.stop();
    const { passages, records, duplicates, empty } = state.progress.counts;
    if (options.searchIndex !== false)
      searchIndex = await buildSearchIndex(database, directory, {
        label: options.name,
        passages,
        titleWeight: checked.titleWeight,
        ...(options.quiet !== undefined ? { quiet: options.quiet } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    const sources = state.progress.sources;
    const manifest: CorpusManifest = {
      schemaVersion: CORPUS_SCHEMA_VERSION,
      name: options.name,
      format: sources[0]?.format ?? "jsonl",
      sources,
      counts: { passages, titles, records, duplicates, empty },
      titleWeight: checked.titleWeight,
      tokenizer: FTS_TOKENIZER,
      bytes: 0,
      builtAt: new Date().toISOString(),
      buildSeconds: (Date.now() - started) / 1000,
      ...(searchIndex ? { searchIndex } : {}),
    };
    const saveManifest = database.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)");
    saveManifest.run("schemaVersion", String(CORPUS_SCHEMA_VERSION));
    saveManifest.run("manifest", JSON.stringify(manifest));
    clearProgress(database);
    database.exec("ANALYZE");
    database.close();
    database = undefined;
    manifest.bytes = statSync(partialPath).size;

    const target = join(directory, CORPUS_FILE);
    const manifestTemporary = join(directory, `${TEMP_PREFIX}${process.pid}-${Date.now()}-${MANIFEST_FILE}`);
    writeFileSync(manifestTemporary, `${JSON.stringify(manifest, null, 2)}\n`);
    const previousIndex = previousIndexFolder(directory);
    renameSync(partialPath, target);
    renameSync(manifestTemporary, join(directory, MANIFEST_FILE));
    removeOtherIndexes(directory, [searchIndex?.folder, previousIndex]);
    return { manifest, directory };
  } catch (error) {
    progress.stop();
    const keep = keepsPartial(database, error);
    try {
      database?.close();
    } catch {
      // already closed or unusable
    }
    if (partialPath && !keep) removePartial(partialPath);
    for (const entry of existsSync(directory) ? await readdir(directory) : []) {
      if (entry.startsWith(`${TEMP_PREFIX}${process.pid}-`)) rmSync(join(directory, entry), { force: true });
    }
    if (searchIndex) rmSync(join(directory, searchIndex.folder), { recursive: true, force: true });
    // A first build that failed leaves no empty corpus folder behind (`corpus list` would show it).
    if (createdDirectory && existsSync(directory) && (await readdir(directory)).length === 0)
      rmSync(directory, { recursive: true, force: true });
    if (error instanceof CancelledError)
      throw new CancelledError(
        keep
          ? "corpus build cancelled; run the same command again to resume from its last commit (the previous corpus is intact)"
          : "corpus build cancelled; the previous corpus is intact",
      );
    throw error;
  }
}
