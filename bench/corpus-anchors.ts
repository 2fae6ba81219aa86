/**
 * In-process BM25 anchors for the corpus benches: MiniSearch and wink-bm25-text-search, indexing the same
 * passages (title boosted 2x like drkit's default) with the same stopword list, no stemming.
 */
import MiniSearch from "minisearch";
// @ts-expect-error wink-bm25-text-search ships no type declarations
import winkBm25 from "wink-bm25-text-search";
import { QUERY_STOPWORDS } from "../src/corpus/query.js";

export interface AnchorPassage {
  id: string;
  title: string;
  text: string;
}

export interface AnchorIndex {
  name: string;
  add(passages: Iterable<AnchorPassage>): void;
  /** Finish indexing (wink needs it). */
  finish(): void;
  search(query: string, topk: number): string[];
}

function tokenize(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((token) => !QUERY_STOPWORDS.has(token));
}

export function miniSearchAnchor(): AnchorIndex {
  const index = new MiniSearch<AnchorPassage>({
    fields: ["title", "text"],
    idField: "id",
    tokenize,
    processTerm: (term) => term,
    searchOptions: { boost: { title: 2 }, tokenize, processTerm: (term) => term },
  });
  return {
    name: "minisearch",
    add(passages) {
      for (const passage of passages) index.add(passage);
    },
    finish() {},
    search(query, topk) {
      return index
        .search(query)
        .slice(0, topk)
        .map((result) => String(result.id));
    },
  };
}

interface WinkEngine {
  defineConfig(config: { fldWeights: Record<string, number> }): void;
  definePrepTasks(tasks: ((input: string) => string[])[]): void;
  addDoc(doc: Record<string, string>, id: string): void;
  consolidate(): void;
  search(query: string, limit?: number): [string, number][];
}

export function winkAnchor(): AnchorIndex {
  const engine = (winkBm25 as () => WinkEngine)();
  engine.defineConfig({ fldWeights: { title: 2, text: 1 } });
  engine.definePrepTasks([tokenize]);
  return {
    name: "wink-bm25",
    add(passages) {
      for (const passage of passages) engine.addDoc({ title: passage.title, text: passage.text }, passage.id);
    },
    finish() {
      engine.consolidate();
    },
    search(query, topk) {
      if (tokenize(query).length === 0) return [];
      return engine.search(query, topk).map(([id]) => id);
    },
  };
}
