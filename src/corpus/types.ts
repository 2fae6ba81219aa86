/** The passage store contract used by the local `search` / `visit` tools, the retrieval server and synthesis. */

export interface Passage {
  /** Stable id (for HotpotQA-style corpora: `<slug>-<sha1(title)[0:8]>`; wiki-18: the row id). */
  id: string;
  title: string;
  text: string;
}

export interface SearchHit {
  passage: Passage;
  /** BM25 score, higher is better. */
  score: number;
}

export interface CorpusStats {
  name: string;
  passages: number;
  titles: number;
  bytes: number;
  builtAt: string;
  sources: string[];
}

/** BM25 alone, dense (embedding) similarity alone, or both fused (hybrid). */
export type SearchMode = "bm25" | "dense" | "hybrid";
export const SEARCH_MODES: readonly SearchMode[] = ["bm25", "dense", "hybrid"];

export interface CorpusSearchOptions {
  /** Default: the corpus's (`bm25` unless `drkit corpus embed --default-mode` set another). */
  mode?: SearchMode;
}

/**
 * An opened corpus. `search` is asynchronous (a search engine may run off the main thread); passage reads are
 * synchronous lookups in the passage store.
 */
export interface Corpus {
  readonly name: string;
  /** One ranked list per query, in order. Any user text is accepted (query syntax is neutralised). */
  search(queries: readonly string[], topk: number, options?: CorpusSearchOptions): Promise<SearchHit[][]>;
  getPassage(id: string): Passage | undefined;
  /** All passages with this exact title, in ingest order (a "page" made of its paragraphs). */
  getPage(title: string): Passage[];
  stats(): CorpusStats;
  close(): void;
}
