/**
 * The full-text search engine of a corpus: a LanceDB table next to the SQLite passage store with a BM25 index on
 * one `contents` column: the title written `titleWeight` times, then the text. That is how FTS5's `bm25(fts,
 * titleWeight, 1)` weighs a title (its term counts multiplied), and it kept 91% of exact FTS5's top 10 where
 * LanceDB's per-column boosts (a sum of two BM25 scores) kept 75%. LanceDB ranks with block-max WAND, so a query
 * reads a few postings blocks instead of every posting of every term: near-exact BM25 in milliseconds at millions
 * of passages (docs/corpus.md has the figures). The table holds the SQLite row id and the contents; passages are
 * read from SQLite.
 *
 * LanceDB is loaded on first use. Its full-text index build deadlocks on 2-core machines unless
 * `LANCE_CPU_THREADS` is set (lancedb/lancedb#3568), so loading sets it (and `LANCEDB_LOG=error`) when the user
 * has not.
 */
import { existsSync, renameSync, rmSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { CancelledError, CorpusError } from "../core/errors.js";

/** The prefix of the index folders inside a corpus folder (`lance-<build stamp>`). */
export const LANCE_FOLDER_PREFIX = "lance-";
const TABLE = "passages";

/** How `contents` is tokenized: lower-cased, ASCII-folded, English stemming and stop words (close to FTS5's porter unicode61). */
const FTS_OPTIONS = {
  baseTokenizer: "simple",
  lowercase: true,
  asciiFolding: true,
  stem: true,
  removeStopWords: true,
  language: "English",
  withPosition: false,
} as const;

type LanceModule = typeof import("@lancedb/lancedb");
type LanceTable = import("@lancedb/lancedb").Table;

let loaded: Promise<LanceModule> | undefined;

/** LanceDB, loaded on first use with the environment it needs. */
export function lancedb(): Promise<LanceModule> {
  process.env.LANCE_CPU_THREADS ??= String(Math.max(2, availableParallelism()));
  // Its Rust log prints warnings (e.g. "No existing dataset … will be created") on stderr unless told otherwise.
  process.env.LANCEDB_LOG ??= "error";
  loaded ??= import("@lancedb/lancedb");
  return loaded;
}

export interface IndexRow {
  rowid: number;
  title: string;
  text: string;
}

export interface LanceHit {
  rowid: number;
  score: number;
}

/**
 * Build an index from passage rows (in batches) into `folder`: written next to it under a temporary name and
 * renamed into place, so a failed or cancelled build leaves nothing behind.
 */
export async function buildLanceIndex(
  folder: string,
  batches: Iterable<IndexRow[]>,
  options: { titleWeight: number; signal?: AbortSignal; onRows?: (rows: number) => void },
): Promise<{ rows: number; seconds: number }> {
  const titleRepeats = Math.max(1, Math.round(options.titleWeight));
  const started = performance.now();
  const lance = await lancedb();
  const arrow = await import("apache-arrow");
  const temporary = `${folder}.tmp-${process.pid}`;
  const target = folder;
  const connection = await lance.connect(temporary);
  let rows = 0;
  try {
    const schema = new arrow.Schema([
      new arrow.Field("rowid", new arrow.Int32(), false),
      new arrow.Field("contents", new arrow.Utf8(), false),
    ]);
    const table = await connection.createEmptyTable(TABLE, schema);
    for (const batch of batches) {
      if (options.signal?.aborted)
        throw new CancelledError("the index build was cancelled; the previous index is intact");
      if (batch.length === 0) continue;
      await table.add(
        batch.map((row) => ({ rowid: row.rowid, contents: `${`${row.title}\n`.repeat(titleRepeats)}${row.text}` })),
      );
      rows += batch.length;
      options.onRows?.(rows);
    }
    await table.optimize();
    const { Index } = lance;
    await table.createIndex("contents", { config: Index.fts(FTS_OPTIONS) });
    await table.optimize({ cleanupOlderThan: new Date() });
    table.close();
    connection.close();
    rmSync(target, { recursive: true, force: true });
    renameSync(temporary, target);
    return { rows, seconds: (performance.now() - started) / 1000 };
  } catch (error) {
    connection.close();
    rmSync(temporary, { recursive: true, force: true });
    throw error;
  }
}

/** Does this folder hold a built index? */
export function hasLanceIndex(folder: string): boolean {
  return existsSync(join(folder, `${TABLE}.lance`));
}

/** Words a query must hold to be searched: anything else (punctuation, emoji) finds nothing. */
const WORD = /[\p{L}\p{N}]/u;
/** Rows fetched beyond `limit` so that ties at the cut are resolved by row id, not by the engine's order. */
const TIE_MARGIN = 2;
/** Longest query text sent to the engine (the rest is cut, as FTS5's planner keeps 32 terms). */
const MAX_QUERY_CHARACTERS = 4096;

export class LanceIndex {
  private constructor(
    private readonly lance: LanceModule,
    private readonly table: LanceTable,
  ) {}

  static async open(folder: string): Promise<LanceIndex> {
    const lance = await lancedb();
    try {
      const connection = await lance.connect(folder);
      return new LanceIndex(lance, await connection.openTable(TABLE));
    } catch (error) {
      throw new CorpusError(
        `the search index in ${folder} is unreadable (${(error as Error).message}): rebuild it with drkit corpus index`,
        { cause: error },
      );
    }
  }

  /** The top `limit` rows by BM25 over the contents, best first. */
  async search(query: string, limit: number): Promise<LanceHit[]> {
    const text = query.slice(0, MAX_QUERY_CHARACTERS);
    if (limit <= 0 || !WORD.test(text)) return [];
    const match = new this.lance.MatchQuery(text, "contents");
    // A few more than asked, then ties ordered by row: the engine's order of equal scores may vary between runs, and
    // resumable work (synthesis, evaluation) must see the same ranking every time.
    const rows = (await this.table
      .query()
      .fullTextSearch(match)
      .select(["rowid", "_score"])
      .limit(limit + TIE_MARGIN)
      .toArray()) as { rowid: number; _score: number }[];
    return rows
      .map((row) => ({ rowid: Number(row.rowid), score: Number(row._score) }))
      .sort((a, b) => b.score - a.score || a.rowid - b.rowid)
      .slice(0, limit);
  }

  close(): void {
    this.table.close();
  }
}
