/**
 * Search result rendering per protocol.
 * - Search-R1: `Doc {k}(Title: {title}) {text}\n` per document (title in the double quotes wiki-18 stores).
 * - Tongyi / WebDancer: `A Google search for '{q}' found {N} results:\n\n## Web Results\n{entries}`, query blocks
 *   joined with `\n=======\n`.
 */
import type { SearchResult } from "./provider.js";

export type SearchRenderStyle = "search-r1" | "tongyi";

/** Shown when a query found nothing (our wording). */
export const NO_RESULTS_MESSAGE = "No results were found for this query. Try a shorter or more general query.";

export function renderSearchR1(results: readonly SearchResult[]): string {
  let out = "";
  results.forEach((result, index) => {
    const text = result.snippet.split("\n").join("\n");
    out += `Doc ${index + 1}(Title: "${result.title}") ${text}\n`;
  });
  return out;
}

export function renderTongyiQuery(query: string, results: readonly SearchResult[]): string {
  if (results.length === 0) return `A Google search for '${query}' found 0 results. ${NO_RESULTS_MESSAGE}`;
  const entries = results.map((result, index) => {
    const link = result.url ?? result.id ?? "";
    let entry = `${index + 1}. [${result.title}](${link})`;
    if (result.date) entry += `\nDate published: ${result.date}`;
    if (result.source) entry += `\nSource: ${result.source}`;
    entry += `\n\n${result.snippet}`;
    return entry;
  });
  return `A Google search for '${query}' found ${results.length} results:\n\n## Web Results\n${entries.join("\n\n")}`;
}

export function renderSearch(
  style: SearchRenderStyle,
  queries: readonly string[],
  lists: readonly SearchResult[][],
): string {
  if (style === "search-r1") {
    const all = lists.flat();
    return all.length === 0 ? NO_RESULTS_MESSAGE : renderSearchR1(all);
  }
  return queries.map((query, index) => renderTongyiQuery(query, lists[index] ?? [])).join("\n=======\n");
}
