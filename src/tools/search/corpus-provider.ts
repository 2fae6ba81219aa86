/** Search over a local corpus (`drkit corpus build`), BM25 via SQLite FTS5. */
import type { Corpus, SearchMode } from "../../corpus/types.js";
import type { SearchOptions, SearchProvider, SearchResult } from "./provider.js";

export class CorpusSearchProvider implements SearchProvider {
  readonly name: string;

  /** `mode`: bm25, dense or hybrid (default: the corpus's). */
  constructor(
    readonly corpus: Corpus,
    readonly mode?: SearchMode,
  ) {
    this.name = `corpus:${corpus.name}${mode ? `:${mode}` : ""}`;
  }

  async search(queries: readonly string[], options: SearchOptions): Promise<SearchResult[][]> {
    if (queries.length === 0) return [];
    return (await this.corpus.search(queries, options.topk, this.mode ? { mode: this.mode } : {})).map((hits) =>
      hits.map((hit) => ({
        title: hit.passage.title,
        snippet: hit.passage.text,
        id: hit.passage.id,
        score: hit.score,
      })),
    );
  }
}
