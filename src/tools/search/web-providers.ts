/**
 * Web search adapters behind `SearchProvider`: Serper (Google), SearXNG (self-hosted, keyless), Brave, Tavily and
 * Jina. Each sends one request per query (queries run concurrently) and maps the results to `SearchResult`.
 * Base URLs can be overridden (self-hosting, tests).
 */
import { z } from "zod";
import { ConfigError, ProviderError } from "../../core/errors.js";
import { fetchJson, type SearchOptions, type SearchProvider, type SearchResult } from "./provider.js";

export interface WebSearchOptions {
  apiKey?: string;
  baseUrl?: string;
  timeoutMs?: number;
}

function requireKey(service: string, key: string | undefined, variable: string): string {
  if (!key)
    throw new ConfigError(`${service} search needs an API key: set ${variable} (or choose another --search provider)`);
  return key;
}

abstract class PerQueryProvider implements SearchProvider {
  abstract readonly name: string;
  protected abstract searchOne(query: string, options: SearchOptions): Promise<SearchResult[]>;

  search(queries: readonly string[], options: SearchOptions): Promise<SearchResult[][]> {
    return Promise.all(queries.map(async (query) => (await this.searchOne(query, options)).slice(0, options.topk)));
  }
}

const SerperSchema = z
  .object({
    organic: z
      .array(
        z
          .object({
            title: z.string().default(""),
            link: z.string(),
            snippet: z.string().default(""),
            date: z.string().optional(),
            source: z.string().optional(),
          })
          .loose(),
      )
      .default([]),
  })
  .loose();

/** Google results through Serper (`SERPER_API_KEY`), with Tongyi's locale rule (CJK → China/zh-cn). */
export class SerperSearchProvider extends PerQueryProvider {
  readonly name = "serper";
  private readonly key: string;

  constructor(private readonly options: WebSearchOptions = {}) {
    super();
    this.key = requireKey("Serper", options.apiKey, "SERPER_API_KEY");
  }

  protected async searchOne(query: string, options: SearchOptions): Promise<SearchResult[]> {
    const chinese = /[\u4e00-\u9fff]/.test(query);
    const raw = await fetchJson("Serper", {
      url: `${this.options.baseUrl ?? "https://google.serper.dev"}/search`,
      headers: { "X-API-KEY": this.key },
      body: chinese
        ? { q: query, location: "China", gl: "cn", hl: "zh-cn", num: options.topk }
        : { q: query, location: "United States", gl: "us", hl: "en", num: options.topk },
      timeoutMs: this.options.timeoutMs,
      signal: options.signal,
    });
    return SerperSchema.parse(raw).organic.map((item) => ({
      title: item.title,
      url: item.link,
      snippet: item.snippet,
      ...(item.date ? { date: item.date } : {}),
      ...(item.source ? { source: item.source } : {}),
    }));
  }
}

const SerperScholarSchema = z
  .object({
    organic: z
      .array(
        z
          .object({
            title: z.string().default(""),
            link: z.string().optional(),
            pdfUrl: z.string().optional(),
            snippet: z.string().default(""),
            publicationInfo: z.string().optional(),
            year: z.union([z.number(), z.string()]).optional(),
            citedBy: z.number().optional(),
          })
          .loose(),
      )
      .default([]),
  })
  .loose();

/** Google Scholar through Serper's `/scholar` endpoint (`SERPER_API_KEY`): papers with venue, year and citations. */
export class SerperScholarProvider extends PerQueryProvider {
  readonly name = "serper-scholar";
  private readonly key: string;

  constructor(private readonly options: WebSearchOptions = {}) {
    super();
    this.key = requireKey("Serper (scholar)", options.apiKey, "SERPER_API_KEY");
  }

  protected async searchOne(query: string, options: SearchOptions): Promise<SearchResult[]> {
    const raw = await fetchJson("Serper", {
      url: `${this.options.baseUrl ?? "https://google.serper.dev"}/scholar`,
      headers: { "X-API-KEY": this.key },
      body: { q: query, num: options.topk },
      timeoutMs: this.options.timeoutMs,
      signal: options.signal,
    });
    return SerperScholarSchema.parse(raw).organic.map((item) => ({
      title: item.title,
      url: item.link ?? item.pdfUrl ?? "",
      snippet: item.citedBy !== undefined ? `${item.snippet}\nCited by ${item.citedBy}` : item.snippet,
      ...(item.year !== undefined ? { date: String(item.year) } : {}),
      ...(item.publicationInfo ? { source: item.publicationInfo } : {}),
    }));
  }
}

const SearxngSchema = z
  .object({
    results: z
      .array(
        z
          .object({
            title: z.string().default(""),
            url: z.string(),
            content: z.string().default(""),
            publishedDate: z.string().nullish(),
            engine: z.string().optional(),
          })
          .loose(),
      )
      .default([]),
  })
  .loose();

/** A SearXNG instance (`SEARXNG_URL`); its settings must list `json` in `search.formats`. */
export class SearxngSearchProvider extends PerQueryProvider {
  readonly name = "searxng";
  private readonly baseUrl: string;

  constructor(private readonly options: WebSearchOptions = {}) {
    super();
    if (!options.baseUrl)
      throw new ConfigError("SearXNG search needs the instance URL: set SEARXNG_URL (e.g. http://127.0.0.1:8888)");
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
  }

  protected async searchOne(query: string, options: SearchOptions): Promise<SearchResult[]> {
    try {
      const raw = await fetchJson("SearXNG", {
        url: `${this.baseUrl}/search?q=${encodeURIComponent(query)}&format=json`,
        timeoutMs: this.options.timeoutMs,
        signal: options.signal,
      });
      return SearxngSchema.parse(raw).results.map((item) => ({
        title: item.title,
        url: item.url,
        snippet: item.content,
        ...(item.publishedDate ? { date: item.publishedDate } : {}),
        ...(item.engine ? { source: item.engine } : {}),
      }));
    } catch (error) {
      if (error instanceof ProviderError && error.status === 403)
        throw new ProviderError(
          `${error.message} — enable the JSON API: add "json" to search.formats in the SearXNG settings.yml`,
          { status: 403 },
        );
      throw error;
    }
  }
}

const BraveSchema = z
  .object({
    web: z
      .object({
        results: z
          .array(
            z
              .object({
                title: z.string().default(""),
                url: z.string(),
                description: z.string().default(""),
                age: z.string().optional(),
                profile: z.object({ name: z.string().optional() }).loose().optional(),
              })
              .loose(),
          )
          .default([]),
      })
      .loose()
      .optional(),
  })
  .loose();

/** Brave Search API (`BRAVE_API_KEY`). */
export class BraveSearchProvider extends PerQueryProvider {
  readonly name = "brave";
  private readonly key: string;

  constructor(private readonly options: WebSearchOptions = {}) {
    super();
    this.key = requireKey("Brave", options.apiKey, "BRAVE_API_KEY");
  }

  protected async searchOne(query: string, options: SearchOptions): Promise<SearchResult[]> {
    const raw = await fetchJson("Brave", {
      url: `${this.options.baseUrl ?? "https://api.search.brave.com"}/res/v1/web/search?q=${encodeURIComponent(query)}&count=${Math.min(20, options.topk)}`,
      headers: { "X-Subscription-Token": this.key },
      timeoutMs: this.options.timeoutMs,
      signal: options.signal,
    });
    return (BraveSchema.parse(raw).web?.results ?? []).map((item) => ({
      title: item.title,
      url: item.url,
      snippet: item.description.replace(/<\/?strong>/g, ""),
      ...(item.age ? { date: item.age } : {}),
      ...(item.profile?.name ? { source: item.profile.name } : {}),
    }));
  }
}

const TavilySchema = z
  .object({
    results: z
      .array(
        z
          .object({
            title: z.string().default(""),
            url: z.string(),
            content: z.string().default(""),
            score: z.number().optional(),
            published_date: z.string().optional(),
          })
          .loose(),
      )
      .default([]),
  })
  .loose();

/** Tavily search (`TAVILY_API_KEY`). */
export class TavilySearchProvider extends PerQueryProvider {
  readonly name = "tavily";
  private readonly key: string;

  constructor(private readonly options: WebSearchOptions = {}) {
    super();
    this.key = requireKey("Tavily", options.apiKey, "TAVILY_API_KEY");
  }

  protected async searchOne(query: string, options: SearchOptions): Promise<SearchResult[]> {
    const raw = await fetchJson("Tavily", {
      url: `${this.options.baseUrl ?? "https://api.tavily.com"}/search`,
      headers: { authorization: `Bearer ${this.key}` },
      body: { query, max_results: Math.min(20, options.topk) },
      timeoutMs: this.options.timeoutMs,
      signal: options.signal,
    });
    return TavilySchema.parse(raw).results.map((item) => ({
      title: item.title,
      url: item.url,
      snippet: item.content,
      ...(item.score !== undefined ? { score: item.score } : {}),
      ...(item.published_date ? { date: item.published_date } : {}),
    }));
  }
}

const JinaSchema = z
  .object({
    data: z
      .array(
        z
          .object({
            title: z.string().default(""),
            url: z.string(),
            description: z.string().default(""),
            content: z.string().optional(),
            date: z.string().optional(),
          })
          .loose(),
      )
      .default([]),
  })
  .loose();

/** Jina search (`s.jina.ai`, `JINA_API_KEY`). */
export class JinaSearchProvider extends PerQueryProvider {
  readonly name = "jina";
  private readonly key: string;

  constructor(private readonly options: WebSearchOptions = {}) {
    super();
    this.key = requireKey("Jina", options.apiKey, "JINA_API_KEY");
  }

  protected async searchOne(query: string, options: SearchOptions): Promise<SearchResult[]> {
    const raw = await fetchJson("Jina", {
      url: `${this.options.baseUrl ?? "https://s.jina.ai"}/?q=${encodeURIComponent(query)}`,
      headers: { authorization: `Bearer ${this.key}`, "X-Respond-With": "no-content" },
      timeoutMs: this.options.timeoutMs,
      signal: options.signal,
    });
    return JinaSchema.parse(raw).data.map((item) => ({
      title: item.title,
      url: item.url,
      snippet: item.description || (item.content ?? "").slice(0, 500),
      ...(item.date ? { date: item.date } : {}),
    }));
  }
}
