/**
 * Fusing a lexical (BM25) and a dense ranking of the same query into one list (hybrid search). Pure functions over
 * ranked hits, keyed by passage id.
 */
import type { SearchHit } from "./types.js";

/** The k of reciprocal-rank fusion (Cormack et al. 2009; the value Elasticsearch and LanceDB use). */
export const RRF_K = 60;

/** Reciprocal-rank fusion: score(d) = Σ over lists of 1 / (k + rank of d); best `limit` first. */
export function reciprocalRankFusion(lists: readonly (readonly SearchHit[])[], limit: number, k = RRF_K): SearchHit[] {
  const fused = new Map<string, SearchHit>();
  for (const list of lists)
    list.forEach((hit, index) => {
      const score = 1 / (k + index + 1);
      const previous = fused.get(hit.passage.id);
      fused.set(hit.passage.id, { passage: hit.passage, score: (previous?.score ?? 0) + score });
    });
  return ranked(fused, limit);
}

/**
 * Weighted fusion: each list's scores min-max scaled to [0, 1] (absent = 0), then weight × lexical +
 * (1 − weight) × dense.
 */
export function weightedFusion(
  lexical: readonly SearchHit[],
  dense: readonly SearchHit[],
  weight: number,
  limit: number,
): SearchHit[] {
  const fused = new Map<string, SearchHit>();
  const add = (list: readonly SearchHit[], factor: number) => {
    const scores = list.map((hit) => hit.score);
    const low = Math.min(...scores);
    const span = Math.max(...scores) - low;
    for (const hit of list) {
      const scaled = span > 0 ? (hit.score - low) / span : 1;
      const previous = fused.get(hit.passage.id);
      fused.set(hit.passage.id, { passage: hit.passage, score: (previous?.score ?? 0) + factor * scaled });
    }
  };
  add(lexical, weight);
  add(dense, 1 - weight);
  return ranked(fused, limit);
}

function ranked(fused: Map<string, SearchHit>, limit: number): SearchHit[] {
  return [...fused.values()]
    .sort((a, b) => b.score - a.score || (a.passage.id < b.passage.id ? -1 : a.passage.id > b.passage.id ? 1 : 0))
    .slice(0, limit);
}
