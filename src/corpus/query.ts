/**
 * Turn any user text into a safe FTS5 MATCH expression: tokens (letters, digits, combining marks) are
 * quoted as strings and OR-ed, so FTS5 operators (AND/OR/NOT/NEAR, `*`, `:`, `^`, quotes, parentheses,
 * column names) are never interpreted. BM25 ranks documents matching more and rarer terms higher.
 */

/** Common English function words dropped from queries (kept when a query has nothing else). */
export const QUERY_STOPWORDS: ReadonlySet<string> = new Set(
  (
    "a an and are as at be been being but by can could did do does doing for from had has have having he her " +
    "hers him his how i if in into is it its itself me my of on or our ours she so some such than that the their " +
    "theirs them then there these they this those to too us was we were what when where which while who whom whose " +
    "why will with would you your yours"
  ).split(" "),
);

export interface QueryOptions {
  /** Most terms kept (the first distinct ones, after stopword removal). Default 32. */
  maxTerms?: number;
  /** Most characters of the query looked at. Default 4096. */
  maxChars?: number;
}

/** The distinct lower-cased search terms of a query, stopwords removed unless nothing else remains. */
export function queryTerms(query: string, options: QueryOptions = {}): string[] {
  const maxTerms = options.maxTerms ?? 32;
  const maxChars = options.maxChars ?? 4096;
  const text = typeof query === "string" ? query.slice(0, maxChars) : "";
  const tokens =
    text
      .normalize("NFKC")
      .toLowerCase()
      .match(/[\p{L}\p{N}\p{M}]+/gu) ?? [];
  const distinct = [...new Set(tokens)];
  const content = distinct.filter((token) => !QUERY_STOPWORDS.has(token));
  return (content.length > 0 ? content : distinct).slice(0, maxTerms);
}

/** The FTS5 MATCH expression for a query, or `undefined` when it has no searchable term. */
export function matchExpression(query: string, options: QueryOptions = {}): string | undefined {
  const terms = queryTerms(query, options);
  if (terms.length === 0) return undefined;
  return terms.map((term) => `"${term.replaceAll('"', '""')}"`).join(" OR ");
}
