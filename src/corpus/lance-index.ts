/**
 * The full-text search engine of a corpus: a LanceDB table next to the SQLite passage store, with a BM25 index on
 * `title` and on `text` searched as one weighted multi-match (title × titleWeight + text, as FTS5's `bm25(fts,
 * titleWeight, 1)`). LanceDB ranks with block-max WAND, so a query reads a few postings blocks instead of every
 * posting of every term: near-exact BM25 in milliseconds at millions of passages (docs/corpus.md has the figures).
 * The table holds only the SQLite row id and the text; passages are read from SQLite.
 *
 * LanceDB is loaded on first use. Its full-text index build deadlocks on 2-core machines unless
 * `LANCE_CPU_THREADS` is set (lancedb/lancedb#3568), so loading sets it when the user has not.
 */
import { existsSync, renameSync, rmSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { CancelledError, CorpusError } from "../core/errors.js";

/** The prefix of the index folders inside a corpus folder (`lance-<build stamp>`). */
export const LANCE_FOLDER_PREFIX = "lance-";
const TABLE = "passages";

/** How `title` and `text` are tokenized: lower-cased, ASCII-folded, English stemming and stop words (as FTS5's porter unicode61). */
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

function lancedb(): Promise<LanceModule> {
  process.env.LANCE_CPU_THREADS ??= String(Math.max(2, availableParallelism()));
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
  options: { signal?: AbortSignal; onRows?: (rows: number) => void } = {},
): Promise<{ rows: number; seconds: number }> {
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
      new arrow.Field("title", new arrow.Utf8(), false),
      new arrow.Field("text", new arrow.Utf8(), false),
    ]);
    const table = await connection.createEmptyTable(TABLE, schema);
    for (const batch of batches) {
      if (options.signal?.aborted)
        throw new CancelledError("the index build was cancelled; the previous index is intact");
      if (batch.length === 0) continue;
      await table.add(batch as unknown as Record<string, unknown>[]);
      rows += batch.length;
      options.onRows?.(rows);
    }
    await table.optimize();
    const { Index } = lance;
    await table.createIndex("title", { config: Index.fts(FTS_OPTIONS) });
    await table.createIndex("text", { config: Index.fts(FTS_OPTIONS) });
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
/** Longest query text sent to the engine (the rest is cut, as FTS5's planner keeps 32 terms). */
const MAX_QUERY_CHARACTERS = 4096;

export class LanceIndex {
  private constructor(
    private readonly lance: LanceModule,
    private readonly table: LanceTable,
    private readonly titleWeight: number,
  ) {}

  static async open(folder: string, titleWeight: number): Promise<LanceIndex> {
    const lance = await lancedb();
    try {
      const connection = await lance.connect(folder);
      return new LanceIndex(lance, await connection.openTable(TABLE), titleWeight);
    } catch (error) {
      throw new CorpusError(
        `the search index in ${folder} is unreadable (${(error as Error).message}): rebuild it with drkit corpus index`,
        { cause: error },
      );
    }
  }

  /** The top `limit` rows by weighted BM25 over title and text, best first. */
  async search(query: string, limit: number): Promise<LanceHit[]> {
    const text = query.slice(0, MAX_QUERY_CHARACTERS);
    if (limit <= 0 || !WORD.test(text)) return [];
    const match = new this.lance.MultiMatchQuery(text, ["title", "text"], { boosts: [this.titleWeight, 1] });
    const rows = (await this.table
      .query()
      .fullTextSearch(match)
      .select(["rowid", "_score"])
      .limit(limit)
      .toArray()) as {
      rowid: number;
      _score: number;
    }[];
    return rows.map((row) => ({ rowid: Number(row.rowid), score: Number(row._score) }));
  }

  close(): void {
    this.table.close();
  }
}
