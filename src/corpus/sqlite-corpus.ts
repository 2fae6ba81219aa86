/** `openCorpus`: a built corpus store opened read-only, implementing the `Corpus` contract. */
import { existsSync, statSync } from "node:fs";
import Database from "better-sqlite3";
import { CorpusError, InputError, NotFoundError } from "../core/errors.js";
import { type QueryPlan, QueryPlanner, type QueryPlannerOptions } from "./query-planner.js";
import { CORPUS_SCHEMA_VERSION, type CorpusManifest, CorpusManifestSchema, corpusFile } from "./store-layout.js";
import type { Corpus, CorpusStats, Passage, SearchHit } from "./types.js";

export interface OpenCorpusOptions {
  /** drkit home (default $DRKIT_HOME or `.drkit`). */
  home?: string;
  /** Open this store file instead of `<home>/corpora/<name>/corpus.sqlite`. */
  file?: string;
  /** Query limits (default: 32 terms, 4096 characters, 1,000 postings scored per query). */
  query?: QueryPlannerOptions;
  /**
   * Remember the ranked rows of this many recent distinct queries (least recently used evicted). A repeated
   * query (e.g. the same first search issued by every rollout of a GRPO group) then skips planning, BM25
   * scoring and the row reads.
   * Results are identical with or without the cache (the store is read-only). Default 0: no cache.
   */
  cacheSize?: number;
}

/** Largest `topk` honoured by `search` (larger values are clamped). */
export const MAX_SEARCH_TOPK = 1000;

interface PassageRow {
  rowid: number;
  id: string;
  title: string;
  text: string;
}

export class SqliteCorpus implements Corpus {
  readonly name: string;
  readonly file: string;
  private readonly database: Database.Database;
  private readonly manifestValue: CorpusManifest;
  private readonly planner: QueryPlanner;
  private readonly matchStatement: Database.Statement;
  private readonly rowStatement: Database.Statement;
  private readonly idStatement: Database.Statement;
  private readonly pageStatement: Database.Statement;
  private readonly cacheSize: number;
  /** limit + query → hits; Map iteration order is the recency order. */
  private readonly cache = new Map<string, SearchHit[]>();

  constructor(name: string, file: string, options: OpenCorpusOptions = {}) {
    this.name = name;
    this.file = file;
    this.cacheSize = Math.max(0, Math.floor(Number(options.cacheSize) || 0));
    try {
      this.database = new Database(file, { readonly: true, fileMustExist: true });
    } catch (error) {
      throw new CorpusError(`cannot open corpus store ${file}: ${(error as Error).message}`, { cause: error });
    }
    try {
      this.database.pragma("mmap_size = 1073741824");
      this.database.pragma("cache_size = -65536");
      const meta = this.database.prepare("SELECT value FROM meta WHERE key = ?").pluck();
      const version = Number(meta.get("schemaVersion"));
      if (version !== CORPUS_SCHEMA_VERSION) {
        throw new CorpusError(
          `corpus "${name}" has store schema ${version}, this drkit reads ${CORPUS_SCHEMA_VERSION}: rebuild it with drkit corpus build`,
        );
      }
      this.manifestValue = CorpusManifestSchema.parse(JSON.parse(String(meta.get("manifest"))));
      // bm25() with explicit weights is cheaper per row than the configured `rank` column.
      const titleWeight = Number(this.manifestValue.titleWeight) || 1;
      this.matchStatement = this.database.prepare(
        `SELECT rowid, bm25(fts, ${titleWeight}, 1.0) AS rank FROM fts WHERE fts MATCH ? ORDER BY rank LIMIT ?`,
      );
      this.rowStatement = this.database.prepare("SELECT rowid, id, title, text FROM passages WHERE rowid = ?");
      this.idStatement = this.database.prepare("SELECT rowid, id, title, text FROM passages WHERE id = ?");
      const frequency = this.database.prepare("SELECT df FROM term_df WHERE term = ?").pluck();
      this.planner = new QueryPlanner(
        this.manifestValue.tokenizer,
        (stem) => (frequency.get(stem) as number | undefined) ?? 0,
        options.query ?? {},
      );
      this.pageStatement = this.database.prepare(
        "SELECT rowid, id, title, text FROM passages WHERE title = ? COLLATE NOCASE ORDER BY rowid",
      );
    } catch (error) {
      this.database.close();
      if (error instanceof CorpusError) throw error;
      throw new CorpusError(
        `corpus store ${file} is unreadable (${(error as Error).message}): rebuild it with drkit corpus build`,
        { cause: error },
      );
    }
  }

  async search(queries: readonly string[], topk: number): Promise<SearchHit[][]> {
    return this.searchNow(queries, topk);
  }

  /** The FTS5 search, synchronously (benches that time the store itself). */
  searchNow(queries: readonly string[], topk: number): SearchHit[][] {
    if (!Array.isArray(queries)) throw new InputError("search expects an array of query strings");
    const limit = Math.min(MAX_SEARCH_TOPK, Math.max(0, Math.floor(Number(topk) || 0)));
    return queries.map((query) => {
      if (limit === 0) return [];
      const text = typeof query === "string" ? query : "";
      if (this.cacheSize === 0) return this.searchOne(text, limit);
      // keyed by the raw query: a hit skips planning, BM25 scoring and the row reads
      const key = `${limit}\u0000${text}`;
      let hits = this.cache.get(key);
      if (hits !== undefined) {
        this.cache.delete(key);
        this.cache.set(key, hits);
      } else {
        hits = this.searchOne(text, limit);
        if (this.cache.size >= this.cacheSize) {
          const oldest = this.cache.keys().next().value;
          if (oldest !== undefined) this.cache.delete(oldest);
        }
        this.cache.set(key, hits);
      }
      // fresh objects for the caller: cached lists are never shared
      return hits.map((hit) => ({ passage: { ...hit.passage }, score: hit.score }));
    });
  }

  private searchOne(query: string, limit: number): SearchHit[] {
    const { expression } = this.planner.plan(query);
    if (expression === undefined) return [];
    const hits = this.matchStatement.all(expression, limit) as { rowid: number; rank: number }[];
    return hits.map((hit) => {
      const row = this.rowStatement.get(hit.rowid) as PassageRow;
      return { passage: { id: row.id, title: row.title, text: row.text }, score: -hit.rank };
    });
  }

  /** How a query is run: the terms kept and those pruned as too common (see QueryPlanner). */
  explain(query: string): QueryPlan {
    return this.planner.plan(query);
  }

  getPassage(id: string): Passage | undefined {
    const row = this.idStatement.get(String(id)) as PassageRow | undefined;
    return row ? { id: row.id, title: row.title, text: row.text } : undefined;
  }

  getPage(title: string): Passage[] {
    const rows = this.pageStatement.all(String(title)) as PassageRow[];
    // Exact-case matches win; otherwise the case-insensitive ones.
    const exact = rows.filter((row) => row.title === title);
    return (exact.length > 0 ? exact : rows).map((row) => ({ id: row.id, title: row.title, text: row.text }));
  }

  /** The build manifest (sources, counts, settings). */
  manifest(): CorpusManifest {
    return this.manifestValue;
  }

  stats(): CorpusStats {
    const manifest = this.manifestValue;
    return {
      name: this.name,
      passages: manifest.counts.passages,
      titles: manifest.counts.titles,
      bytes: existsSync(this.file) ? statSync(this.file).size : manifest.bytes,
      builtAt: manifest.builtAt,
      sources: manifest.sources.map((source) => source.file),
    };
  }

  close(): void {
    this.planner.close();
    if (this.database.open) this.database.close();
  }
}

/** Open a built corpus by name. Throws NotFoundError (with the command to build it) when it does not exist. */
export function openCorpus(name: string, options: OpenCorpusOptions = {}): SqliteCorpus {
  const file = options.file ?? corpusFile(name, options.home);
  if (!existsSync(file)) {
    throw new NotFoundError(
      `corpus "${name}" not found (${file}); build it with: drkit corpus build ${name} --from <file...>`,
    );
  }
  return new SqliteCorpus(name, file, options);
}
