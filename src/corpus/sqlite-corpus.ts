/** `openCorpus`: a built corpus store opened read-only, implementing the `Corpus` contract. */
import { existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import { CorpusError, InputError, NotFoundError } from "../core/errors.js";
import { EmbeddingClient } from "../llm/embeddings.js";
import { DenseIndex } from "./dense-index.js";
import { reciprocalRankFusion, weightedFusion } from "./fusion.js";
import { hasLanceIndex, LanceIndex } from "./lance-index.js";
import { queryTerms } from "./query.js";
import { type QueryPlan, QueryPlanner, type QueryPlannerOptions } from "./query-planner.js";
import { CORPUS_SCHEMA_VERSION, type CorpusManifest, CorpusManifestSchema, corpusFile } from "./store-layout.js";
import type { Corpus, CorpusSearchOptions, CorpusStats, Passage, SearchHit, SearchMode } from "./types.js";

export interface OpenCorpusOptions {
  /** drkit home (default $DRKIT_HOME or `.drkit`). */
  home?: string;
  /** Open this store file instead of `<home>/corpora/<name>/corpus.sqlite`. */
  file?: string;
  /**
   * `lance` (the default when the corpus has a search index): BM25 with block-max WAND, near-exact, milliseconds
   * at millions of passages. `fts5`: SQLite FTS5, exact BM25 over every posting (slow on large corpora), or with
   * `query.maxPostings` the rarest terms within that budget (fast, and it loses recall on large corpora).
   */
  engine?: "auto" | "lance" | "fts5";
  /** FTS5 query limits (default: 32 terms, 4096 characters, exact: no postings budget). */
  query?: QueryPlannerOptions;
  /**
   * Remember the ranked rows of this many recent distinct queries (least recently used evicted). A repeated
   * query (e.g. the same first search issued by every rollout of a GRPO group) then skips planning, BM25
   * scoring and the row reads.
   * Results are identical with or without the cache (the store is read-only). Default 0: no cache.
   */
  cacheSize?: number;
  /**
   * Embeds queries for dense and hybrid search. Default: a client for the server and model the corpus was
   * embedded with (manifest `dense`), with the API key of `DRKIT_EMBEDDING_API_KEY`.
   */
  embedder?: EmbeddingClient;
  /** How hybrid search fuses BM25 and dense rankings: reciprocal ranks (default) or weighted scores. */
  fusion?: { kind: "rrf" } | { kind: "weighted"; lexicalWeight: number };
}

/** Candidates taken from each ranking before hybrid fusion cuts to topk. */
const HYBRID_CANDIDATES = 50;

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
  /** The engine `search` uses. */
  readonly engine: "lance" | "fts5";
  private lance: Promise<LanceIndex> | undefined;
  private dense: Promise<DenseIndex> | undefined;
  private readonly embedder: EmbeddingClient | undefined;
  private readonly fusion: NonNullable<OpenCorpusOptions["fusion"]>;

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
      this.engine = chooseEngine(name, dirname(file), this.manifestValue, options);
      this.embedder = options.embedder ?? defaultEmbedder(this.manifestValue);
      this.fusion = options.fusion ?? { kind: "rrf" };
    } catch (error) {
      this.database.close();
      if (error instanceof CorpusError) throw error;
      throw new CorpusError(
        `corpus store ${file} is unreadable (${(error as Error).message}): rebuild it with drkit corpus build`,
        { cause: error },
      );
    }
  }

  /** The mode a search without one uses. */
  get defaultMode(): SearchMode {
    return this.manifestValue.dense?.defaultMode ?? "bm25";
  }

  async search(queries: readonly string[], topk: number, options: CorpusSearchOptions = {}): Promise<SearchHit[][]> {
    const mode = options.mode ?? this.defaultMode;
    if (mode === "bm25") return this.searchLexical(queries, topk);
    if (!Array.isArray(queries)) throw new InputError("search expects an array of query strings");
    const limit = searchLimit(topk);
    if (limit === 0) return queries.map(() => []);
    const depth = mode === "hybrid" ? Math.max(limit, HYBRID_CANDIDATES) : limit;
    if (mode === "dense") return this.searchDense(queries, depth);
    // The query embeddings (an HTTP call) and BM25 run at the same time.
    const [dense, lexical] = await Promise.all([this.searchDense(queries, depth), this.searchLexical(queries, depth)]);
    return queries.map((_, index) => {
      const lists = [lexical[index] ?? [], dense[index] ?? []];
      return this.fusion.kind === "rrf"
        ? reciprocalRankFusion(lists, limit)
        : weightedFusion(lists[0] as SearchHit[], lists[1] as SearchHit[], this.fusion.lexicalWeight, limit);
    });
  }

  /** Nearest passages by embedding similarity, the queries embedded in one request. */
  private async searchDense(queries: readonly string[], limit: number): Promise<SearchHit[][]> {
    if (!this.manifestValue.dense || !this.embedder)
      throw new InputError(
        `corpus "${this.name}" has no embeddings for dense or hybrid search: run drkit corpus embed ${this.name} --base-url … --model …`,
      );
    this.dense ??= DenseIndex.open(dirname(this.file));
    const index = await this.dense;
    const texts = queries.map((query) => (typeof query === "string" ? query : ""));
    const { vectors } = await this.embedder.embedQueries(texts);
    return Promise.all(
      vectors.map(async (vector) =>
        (await index.search(vector, limit)).map((hit) => ({ passage: this.passageAt(hit.rowid), score: hit.score })),
      ),
    );
  }

  /** BM25 with the corpus's engine. */
  private async searchLexical(queries: readonly string[], topk: number): Promise<SearchHit[][]> {
    if (this.engine === "fts5") return this.searchNow(queries, topk);
    if (!Array.isArray(queries)) throw new InputError("search expects an array of query strings");
    const limit = searchLimit(topk);
    const lance = await this.openLance();
    return Promise.all(
      queries.map((query) =>
        this.cached(typeof query === "string" ? query : "", limit, async (text) => {
          const hits = await lance.search(queryTerms(text).join(" "), limit);
          // A query of stop words only is searched by FTS5, which keeps them when nothing else is left.
          if (hits.length === 0) return this.searchOne(text, limit);
          return hits.map((hit) => ({ passage: this.passageAt(hit.rowid), score: hit.score }));
        }),
      ),
    );
  }

  /** The FTS5 search, synchronously (benches that time the store itself, and `engine: "fts5"`). */
  searchNow(queries: readonly string[], topk: number): SearchHit[][] {
    if (!Array.isArray(queries)) throw new InputError("search expects an array of query strings");
    const limit = searchLimit(topk);
    return queries.map((query) =>
      this.cachedNow(typeof query === "string" ? query : "", limit, (text) => this.searchOne(text, limit)),
    );
  }

  private openLance(): Promise<LanceIndex> {
    const folder = this.manifestValue.searchIndex?.folder as string;
    this.lance ??= LanceIndex.open(join(dirname(this.file), folder));
    return this.lance;
  }

  /** Keyed by the raw query: a hit skips planning, scoring and the row reads; callers get fresh objects. */
  private cachedNow(text: string, limit: number, search: (text: string) => SearchHit[]): SearchHit[] {
    if (limit === 0) return [];
    const key = `${limit}\u0000${text}`;
    const hits = this.cacheSize === 0 ? search(text) : (this.fromCache(key) ?? this.remember(key, search(text)));
    return hits.map((hit) => ({ passage: { ...hit.passage }, score: hit.score }));
  }

  private async cached(
    text: string,
    limit: number,
    search: (text: string) => Promise<SearchHit[]>,
  ): Promise<SearchHit[]> {
    if (limit === 0) return [];
    const key = `${limit}\u0000${text}`;
    const hits =
      this.cacheSize === 0 ? await search(text) : (this.fromCache(key) ?? this.remember(key, await search(text)));
    return hits.map((hit) => ({ passage: { ...hit.passage }, score: hit.score }));
  }

  private fromCache(key: string): SearchHit[] | undefined {
    const hits = this.cache.get(key);
    if (hits !== undefined) {
      this.cache.delete(key);
      this.cache.set(key, hits);
    }
    return hits;
  }

  private remember(key: string, hits: SearchHit[]): SearchHit[] {
    if (this.cache.size >= this.cacheSize) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(key, hits);
    return hits;
  }

  private passageAt(rowid: number): Passage {
    const row = this.rowStatement.get(rowid) as PassageRow;
    return { id: row.id, title: row.title, text: row.text };
  }

  private searchOne(query: string, limit: number): SearchHit[] {
    const { expression } = this.planner.plan(query);
    if (expression === undefined) return [];
    const hits = this.matchStatement.all(expression, limit) as { rowid: number; rank: number }[];
    return hits.map((hit) => ({ passage: this.passageAt(hit.rowid), score: -hit.rank }));
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
    void this.lance?.then((index) => index.close()).catch(() => {});
    void this.dense?.then((index) => index.close()).catch(() => {});
  }
}

/** A client for the embeddings server a corpus was embedded with, if it was. */
function defaultEmbedder(manifest: CorpusManifest): EmbeddingClient | undefined {
  const dense = manifest.dense;
  if (!dense) return undefined;
  return new EmbeddingClient({
    baseUrl: process.env.DRKIT_EMBEDDING_BASE_URL ?? dense.baseUrl,
    model: dense.model,
    prefix: dense.prefix,
    normalize: dense.normalize,
    ...(process.env.DRKIT_EMBEDDING_API_KEY ? { apiKey: process.env.DRKIT_EMBEDDING_API_KEY } : {}),
  });
}

function searchLimit(topk: number): number {
  return Math.min(MAX_SEARCH_TOPK, Math.max(0, Math.floor(Number(topk) || 0)));
}

/** `auto` picks the search index when the corpus has one; a postings budget asks for FTS5. */
function chooseEngine(
  name: string,
  directory: string,
  manifest: CorpusManifest,
  options: OpenCorpusOptions,
): "lance" | "fts5" {
  const requested = options.engine ?? "auto";
  const indexed = manifest.searchIndex !== undefined && hasLanceIndex(join(directory, manifest.searchIndex.folder));
  if (requested === "fts5" || (requested === "auto" && (options.query?.maxPostings ?? 0) > 0)) return "fts5";
  if (indexed) return "lance";
  if (requested === "lance")
    throw new CorpusError(`corpus "${name}" has no search index: add one with drkit corpus index ${name}`);
  return "fts5";
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
