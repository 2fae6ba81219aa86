/**
 * `buildCorpus`: stream passages from source files into a new SQLite store with an FTS5 BM25 index.
 *
 * The store is written to a temporary file next to the target and renamed over it only when complete, so a
 * failed or cancelled build leaves the previous corpus untouched and no temporary file behind. Passages are
 * deduplicated by id (first wins) and by title+text. Missing ids follow data/README.md's HotpotQA rule
 * (`<slug>-<sha1(title)[0:8]>`); when that id is already taken by a different paragraph of the same title
 * (e.g. MuSiQue), `-2`, `-3`, ... is appended in ingest order.
 */
import { hash as digest } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import { CancelledError, DataError, InputError } from "../core/errors.js";
import { createProgress } from "../core/progress.js";
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
  SCHEMA_SQL,
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

export async function buildCorpus(options: BuildCorpusOptions): Promise<BuildCorpusResult> {
  const directory = corpusDirectory(options.name, options.home);
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
  const batchSize = Math.max(1, options.batchSize ?? 20_000);

  const createdDirectory = !existsSync(directory);
  mkdirSync(directory, { recursive: true });
  await removeStaleTemporaries(directory);
  const temporary = join(directory, `${TEMP_PREFIX}${process.pid}-${Date.now()}-${CORPUS_FILE}`);
  const started = Date.now();
  const progress = createProgress({ label: `build ${options.name}`, total: 1, quiet: options.quiet });
  let database: Database.Database | undefined;
  let searchIndex: CorpusManifest["searchIndex"];
  try {
    database = new Database(temporary);
    database.pragma("journal_mode = OFF");
    database.pragma("synchronous = OFF");
    database.pragma("cache_size = -262144");
    database.pragma("temp_store = MEMORY");
    database.pragma("locking_mode = EXCLUSIVE");
    database.exec(SCHEMA_SQL);
    database.prepare("INSERT INTO fts(fts, rank) VALUES ('rank', ?)").run(`bm25(${titleWeight}, 1.0)`);
    // Flush FTS5's in-memory term hash less often (fewer, larger segments to merge).
    database.exec(`INSERT INTO fts(fts, rank) VALUES ('hashsize', ${64 * 1024 * 1024})`);
    // No incremental merging while loading: the final 'optimize' merges every segment once.
    database.exec("INSERT INTO fts(fts, rank) VALUES ('automerge', 0)");
    database.exec("INSERT INTO fts(fts, rank) VALUES ('crisismerge', 100000)");

    const insertPassage = database.prepare(
      "INSERT OR IGNORE INTO passages (id, title, text, hash) VALUES (?, ?, ?, ?)",
    );
    const insertFts = database.prepare("INSERT INTO fts (rowid, title, text) VALUES (?, ?, ?)");
    const hashExists = database.prepare("SELECT 1 FROM passages WHERE hash = ?").pluck();

    let passages = 0;
    let records = 0;
    let duplicates = 0;
    let empty = 0;
    let bytesDone = 0;
    const sources: CorpusManifest["sources"] = [];

    const store = (id: string | undefined, title: string, text: string): void => {
      const hash = contentHash(title, text);
      let candidate = id ?? passageIdForTitle(title);
      let suffix = 1;
      for (;;) {
        const result = insertPassage.run(candidate, title, text, hash);
        if (result.changes === 1) {
          insertFts.run(result.lastInsertRowid, title, text);
          passages++;
          return;
        }
        if (hashExists.get(hash) !== undefined || id !== undefined) {
          duplicates++;
          return;
        }
        suffix++;
        candidate = `${passageIdForTitle(title)}-${suffix}`;
      }
    };

    let batch: { id: string | undefined; title: string; text: string }[] = [];
    // One transaction for the whole load (the file is temporary until the rename, so nothing needs rolling
    // back): FTS5 writes a segment whenever its 64 MB term hash fills, not at every batch commit, and there
    // are no savepoints (each would flush the hash).
    const flush = (items: typeof batch) => {
      for (const item of items) store(item.id, item.title, item.text);
    };
    database.exec("BEGIN");
    const flushBatch = (fileBytes: number) => {
      if (batch.length === 0) return;
      const before = passages;
      flush(batch);
      batch = [];
      const done = bytesDone + fileBytes;
      const estimate = done > 0 ? Math.max(passages, Math.round((passages / done) * totalBytes)) : passages;
      progress.setTotal(estimate);
      progress.increment(passages - before, { duplicates });
    };

    for (const file of files) {
      let fileFormat: CorpusFormat | undefined = format === "auto" ? undefined : format;
      const fileStartPassages = passages;
      let fileRecords = 0;
      let fileBytes = 0;
      for await (const record of readRecords(file)) {
        if (options.signal?.aborted) throw new CancelledError("corpus build cancelled; the previous corpus is intact");
        if (fileFormat === undefined) {
          fileFormat = detectFormat(record.value);
          if (fileFormat === undefined) {
            throw new DataError(
              `cannot detect the corpus format of this record; pass --format (${CORPUS_FORMATS.join(", ")})`,
              { file, line: record.line },
            );
          }
        }
        fileRecords++;
        for (const candidate of candidatesFromRecord(fileFormat, record.value, file, record.line)) {
          if (candidate.text.trim() === "") {
            empty++;
            continue;
          }
          batch.push({ id: candidate.id, title: candidate.title, text: candidate.text });
        }
        fileBytes = record.bytesRead;
        if (batch.length >= batchSize) flushBatch(fileBytes);
      }
      flushBatch(fileBytes);
      bytesDone += statSync(file).size;
      records += fileRecords;
      sources.push({
        file,
        format: fileFormat ?? (format === "auto" ? "jsonl" : format),
        records: fileRecords,
        passages: passages - fileStartPassages,
      });
    }
    if (options.signal?.aborted) throw new CancelledError("corpus build cancelled; the previous corpus is intact");
    database.exec("COMMIT");

    database.exec("CREATE INDEX passages_title ON passages (title COLLATE NOCASE)");
    database.exec("INSERT INTO fts(fts) VALUES ('optimize')");
    database.exec("INSERT INTO fts(fts, rank) VALUES ('automerge', 4)");
    database.exec("INSERT INTO fts(fts, rank) VALUES ('crisismerge', 16)");
    database.exec(TERM_STATISTICS_SQL);
    const titles = database.prepare("SELECT COUNT(DISTINCT title) FROM passages").pluck().get() as number;
    progress.stop();
    if (options.searchIndex !== false)
      searchIndex = await buildSearchIndex(database, directory, {
        label: options.name,
        passages,
        titleWeight,
        ...(options.quiet !== undefined ? { quiet: options.quiet } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    const manifest: CorpusManifest = {
      schemaVersion: CORPUS_SCHEMA_VERSION,
      name: options.name,
      format: sources[0]?.format ?? "jsonl",
      sources,
      counts: { passages, titles, records, duplicates, empty },
      titleWeight,
      tokenizer: FTS_TOKENIZER,
      bytes: 0,
      builtAt: new Date().toISOString(),
      buildSeconds: (Date.now() - started) / 1000,
      ...(searchIndex ? { searchIndex } : {}),
    };
    const saveManifest = database.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)");
    saveManifest.run("schemaVersion", String(CORPUS_SCHEMA_VERSION));
    saveManifest.run("manifest", JSON.stringify(manifest));
    database.exec("ANALYZE");
    database.pragma("journal_mode = DELETE");
    database.close();
    database = undefined;
    manifest.bytes = statSync(temporary).size;

    const target = join(directory, CORPUS_FILE);
    const manifestTemporary = join(directory, `${TEMP_PREFIX}${process.pid}-${Date.now()}-${MANIFEST_FILE}`);
    writeFileSync(manifestTemporary, `${JSON.stringify(manifest, null, 2)}\n`);
    const previousIndex = previousIndexFolder(directory);
    renameSync(temporary, target);
    renameSync(manifestTemporary, join(directory, MANIFEST_FILE));
    removeOtherIndexes(directory, [searchIndex?.folder, previousIndex]);
    return { manifest, directory };
  } catch (error) {
    progress.stop();
    try {
      database?.close();
    } catch {
      // already closed or unusable: the file is removed below
    }
    for (const entry of existsSync(directory) ? await readdir(directory) : []) {
      if (entry.startsWith(`${TEMP_PREFIX}${process.pid}-`)) rmSync(join(directory, entry), { force: true });
    }
    if (searchIndex) rmSync(join(directory, searchIndex.folder), { recursive: true, force: true });
    // A first build that failed leaves no empty corpus folder behind (`corpus list` would show it).
    if (createdDirectory && existsSync(directory) && (await readdir(directory)).length === 0)
      rmSync(directory, { recursive: true, force: true });
    throw error;
  }
}
