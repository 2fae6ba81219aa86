/** The `search` tool: a list of queries → ranked results from a `SearchProvider`, rendered per protocol. */
import { z } from "zod";
import type { Tool, ToolContext, ToolOutput } from "../tool.js";
import { resultSource, type SearchProvider } from "./provider.js";
import { renderSearch, type SearchRenderStyle } from "./render.js";

export const SearchInputSchema = z.object({
  query: z
    .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
    .describe("One query, or several queries searched together"),
});
export type SearchInput = z.infer<typeof SearchInputSchema>;

export interface SearchToolOptions {
  provider: SearchProvider;
  /** Results per query. Default 3 for search-r1 rendering, 10 for tongyi. */
  topk?: number;
  /** Rendering of the observation. Default `tongyi`. */
  style?: SearchRenderStyle;
  /** Most queries per call; extra ones are dropped. Default 5. */
  maxQueries?: number;
  /** The tool's name (default `search`; e.g. `google_scholar` for a scholar provider, as Tongyi names it). */
  name?: string;
  description?: string;
}

/** The scholar tool: the same search tool over a scholar provider, named as Tongyi DeepResearch names it. */
export const SCHOLAR_TOOL = {
  name: "google_scholar",
  description:
    "Search academic literature (Google Scholar). Give one query or a list of queries; each returns papers with venue, year and citations.",
} as const;

export class SearchTool implements Tool<SearchInput> {
  readonly name: string;
  readonly description: string;
  readonly inputSchema = SearchInputSchema;
  readonly style: SearchRenderStyle;
  readonly topk: number;

  constructor(readonly options: SearchToolOptions) {
    this.name = options.name ?? "search";
    this.description =
      options.description ??
      "Search for information. Give one query or a list of queries; each returns its top results (title, link or passage id, snippet).";
    this.style = options.style ?? "tongyi";
    this.topk = options.topk ?? (this.style === "search-r1" ? 3 : 10);
  }

  /** The same provider rendered in another style (the search-r1 protocol uses `search-r1`). */
  withStyle(style: SearchRenderStyle, topk?: number): SearchTool {
    return new SearchTool({ ...this.options, style, topk: topk ?? (style === this.style ? this.topk : undefined) });
  }

  async execute(input: SearchInput, context: ToolContext): Promise<ToolOutput> {
    const queries = (Array.isArray(input.query) ? input.query : [input.query])
      .map((query) => query.trim())
      .filter((query) => query !== "")
      .slice(0, this.options.maxQueries ?? 5);
    const lists = await this.options.provider.search(queries, { topk: this.topk, signal: context.signal });
    const sources = lists
      .flat()
      .map(resultSource)
      .filter((source): source is string => source !== undefined);
    return { content: renderSearch(this.style, queries, lists), sources: [...new Set(sources)] };
  }
}
