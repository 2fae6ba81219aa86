/** Search over a local corpus (`drkit corpus build`), BM25 via SQLite FTS5. */
import type { Corpus } from "../../corpus/types.js";
import type { SearchOptions, SearchProvider, SearchResult } from "./provider.js";

export class CorpusSearchProvider implements SearchProvider {
  readonly name: string;

  constructor(readonly corpus: Corpus) {
    this.name = `corpus:${corpus.name}`;
  }

  async search(queries: readonly string[], options: SearchOptions): Promise<SearchResult[][]> {
    if (queries.length === 0) return [];
    return (await this.corpus.search(queries, options.topk)).map((hits) =>
      hits.map((hit) => ({
        title: hit.passage.title,
        snippet: hit.passage.text,
        id: hit.passage.id,
        score: hit.score,
      })),
    );
  }
}
