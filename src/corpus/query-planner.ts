/**
 * Query planning for BM25 over FTS5: FTS5 scores every document that matches any OR-ed term, so a query
 * containing a very common word costs time proportional to that word's document count. The planner
 * stems the query terms with the corpus's own tokenizer (a private in-memory FTS5 table), looks up each
 * stem's document frequency (the `term_df` table written at build time), drops terms that occur nowhere,
 * and — only when a postings budget `maxPostings` is asked for and the summed postings of all terms exceed
 * it — keeps the rarest terms that fit in the budget (always at least the rarest one). The budget bounds
 * latency but loses recall on large corpora (at 1M passages any-gold@10 fell from 96 to 60 with 1,000), so it
 * is opt-in; the search index (lance-index.ts) is the fast default.
 */
import Database from "better-sqlite3";
import { type QueryOptions, queryTerms } from "./query.js";

export interface QueryPlan {
  /** FTS5 MATCH expression, or undefined when no term occurs in the corpus. */
  expression: string | undefined;
  /** Terms kept, rarest first. */
  kept: string[];
  /** Terms dropped because they were too common for the postings budget. */
  pruned: string[];
}

export interface QueryPlannerOptions extends QueryOptions {
  /** Most postings (summed document frequencies) one query may score. Default 0: no budget (exact BM25). */
  maxPostings?: number;
}

const CACHE_LIMIT = 200_000;

/** Default postings budget per query: none (exact). */
export const DEFAULT_MAX_POSTINGS = 0;

export class QueryPlanner {
  private readonly tokenizerDatabase: Database.Database;
  private readonly insertToken: Database.Statement;
  private readonly readTokens: Database.Statement;
  private readonly clearTokens: Database.Statement;
  private readonly stems = new Map<string, string[]>();
  private readonly frequencies = new Map<string, number>();

  constructor(
    tokenizer: string,
    private readonly documentFrequency: (stem: string) => number,
    private readonly options: QueryPlannerOptions = {},
  ) {
    this.tokenizerDatabase = new Database(":memory:");
    this.tokenizerDatabase.exec(
      `CREATE VIRTUAL TABLE tok USING fts5(x, tokenize='${tokenizer.replaceAll("'", "''")}');
       CREATE VIRTUAL TABLE tok_instances USING fts5vocab(tok, 'instance');`,
    );
    this.insertToken = this.tokenizerDatabase.prepare("INSERT INTO tok (rowid, x) VALUES (?, ?)");
    this.readTokens = this.tokenizerDatabase.prepare("SELECT doc, term FROM tok_instances ORDER BY doc, offset");
    this.clearTokens = this.tokenizerDatabase.prepare("DELETE FROM tok");
  }

  /** The corpus tokens (stems) of each term, from the FTS5 tokenizer itself. */
  private stemsOf(terms: readonly string[]): string[][] {
    const missing = terms.filter((term) => !this.stems.has(term));
    if (missing.length > 0) {
      if (this.stems.size + missing.length > CACHE_LIMIT) this.stems.clear();
      const found = new Map<number, string[]>();
      this.tokenizerDatabase.transaction(() => {
        missing.forEach((term, index) => {
          this.insertToken.run(index + 1, term);
        });
        for (const row of this.readTokens.all() as { doc: number; term: string }[]) {
          const list = found.get(row.doc) ?? [];
          list.push(row.term);
          found.set(row.doc, list);
        }
        this.clearTokens.run();
      })();
      missing.forEach((term, index) => {
        this.stems.set(term, found.get(index + 1) ?? []);
      });
    }
    return terms.map((term) => this.stems.get(term) ?? []);
  }

  private frequencyOf(stem: string): number {
    let value = this.frequencies.get(stem);
    if (value === undefined) {
      if (this.frequencies.size >= CACHE_LIMIT) this.frequencies.clear();
      value = this.documentFrequency(stem);
      this.frequencies.set(stem, value);
    }
    return value;
  }

  plan(query: string): QueryPlan {
    const terms = queryTerms(query, this.options);
    if (terms.length === 0) return { expression: undefined, kept: [], pruned: [] };
    const stems = this.stemsOf(terms);
    const scored = terms
      .map((term, index) => {
        const termStems = stems[index] ?? [];
        // a term the tokenizer splits counts with its rarest part; one with no token matches nothing
        const frequency = termStems.length === 0 ? 0 : Math.min(...termStems.map((stem) => this.frequencyOf(stem)));
        return { term, frequency };
      })
      .filter((entry) => entry.frequency > 0)
      .sort((a, b) => a.frequency - b.frequency);
    const requested = this.options.maxPostings ?? DEFAULT_MAX_POSTINGS;
    const budget = requested > 0 ? requested : Number.POSITIVE_INFINITY;
    const kept: string[] = [];
    const pruned: string[] = [];
    let postings = 0;
    for (const entry of scored) {
      if (kept.length === 0 || postings + entry.frequency <= budget) {
        kept.push(entry.term);
        postings += entry.frequency;
      } else pruned.push(entry.term);
    }
    const expression =
      kept.length === 0 ? undefined : kept.map((term) => `"${term.replaceAll('"', '""')}"`).join(" OR ");
    return { expression, kept, pruned };
  }

  close(): void {
    if (this.tokenizerDatabase.open) this.tokenizerDatabase.close();
  }
}
