/**
 * Page readers turn a URL into readable text: `HttpPageReader` (guarded fetch, then HTML → main content with
 * @mozilla/readability on a linkedom DOM → Markdown with turndown) and `JinaPageReader` (r.jina.ai).
 */
import { Readability } from "@mozilla/readability";
import { parseHTML } from "linkedom";
import TurndownService from "turndown";
import { ToolError } from "../core/errors.js";
import { type FetchedPage, type GuardedFetchOptions, guardedFetch, SsrfGuard } from "./ssrf-guard.js";

export interface ReadPage {
  url: string;
  title: string;
  /** Markdown / plain text. */
  text: string;
  truncated: boolean;
}

export interface PageReader {
  readonly name: string;
  /** Also reads references that are not web URLs (page titles, passage ids), as a retrieval server's /access does. */
  readonly readsReferences?: boolean;
  read(url: string, signal?: AbortSignal): Promise<ReadPage>;
}

const TEXT_TYPES = [
  "text/html",
  "application/xhtml",
  "text/plain",
  "text/markdown",
  "application/json",
  "text/xml",
  "application/xml",
  "text/csv",
];

/** HTML (a fragment or a page) → Markdown, every element kept but scripts and styles. */
export function htmlToMarkdown(html: string): string {
  const turndown = new TurndownService({ headingStyle: "atx", codeBlockStyle: "fenced", bulletListMarker: "-" });
  turndown.remove(["script", "style", "noscript", "iframe"] as never);
  return turndown
    .turndown(html)
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

/** HTML → {title, markdown}. Falls back to the whole body when Readability finds no article. */
export function htmlToText(html: string, url?: string): { title: string; text: string } {
  const { document } = parseHTML(html);
  const title = document.querySelector("title")?.textContent?.trim() ?? "";
  let article: { title?: string | null; content?: string | null } | null = null;
  try {
    article = new Readability(document as unknown as ConstructorParameters<typeof Readability>[0], {
      charThreshold: 100,
    }).parse();
  } catch {
    article = null;
  }
  const fragment = article?.content ?? parseHTML(html).document.querySelector("body")?.innerHTML ?? html;
  void url;
  return { title: article?.title?.trim() || title, text: htmlToMarkdown(fragment) };
}

export function decodeBody(page: FetchedPage): string {
  const charset = /charset=([^;]+)/i.exec(page.contentType)?.[1]?.trim().toLowerCase();
  try {
    return new TextDecoder(charset && charset !== "utf8" ? charset : "utf-8").decode(page.body);
  } catch {
    return page.body.toString("utf8");
  }
}

export interface HttpPageReaderOptions extends Omit<GuardedFetchOptions, "guard" | "signal"> {
  guard?: SsrfGuard;
}

export class HttpPageReader implements PageReader {
  readonly name = "http";
  private readonly guard: SsrfGuard;

  constructor(private readonly options: HttpPageReaderOptions = {}) {
    this.guard = options.guard ?? new SsrfGuard();
  }

  async read(url: string, signal?: AbortSignal): Promise<ReadPage> {
    const page = await guardedFetch(url, {
      ...this.options,
      guard: this.guard,
      signal,
      acceptContentTypes: this.options.acceptContentTypes ?? TEXT_TYPES,
    });
    if (page.status >= 400) throw new ToolError(`${page.finalUrl} answered HTTP ${page.status}`);
    const body = decodeBody(page);
    const isHtml = /html|xhtml/.test(page.contentType) || (page.contentType === "" && /^\s*</.test(body));
    if (isHtml) {
      const { title, text } = htmlToText(body, page.finalUrl);
      return { url: page.finalUrl, title, text, truncated: page.truncated };
    }
    return { url: page.finalUrl, title: "", text: body, truncated: page.truncated };
  }

  close(): Promise<void> {
    return this.guard.close();
  }
}

/** Jina Reader (`GET https://r.jina.ai/<url>`, key from `JINA_API_KEY`): Markdown of a page, fetched by Jina. */
export class JinaPageReader implements PageReader {
  readonly name = "jina";

  constructor(
    private readonly options: { apiKey?: string; baseUrl?: string; timeoutMs?: number; maxChars?: number } = {},
  ) {}

  async read(url: string, signal?: AbortSignal): Promise<ReadPage> {
    const parsed = new URL(url);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:")
      throw new ToolError(`refusing to read ${url}: only http and https URLs are allowed`);
    const base = (this.options.baseUrl ?? "https://r.jina.ai").replace(/\/+$/, "");
    const headers: Record<string, string> = { accept: "text/plain" };
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 50_000);
    let response: Response;
    try {
      response = await fetch(`${base}/${url}`, {
        headers,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      throw new ToolError(`Jina reader could not read ${url}: ${(error as Error).message}`);
    }
    const text = await response.text();
    if (!response.ok) throw new ToolError(`Jina reader answered HTTP ${response.status} for ${url}`);
    if (text.trim() === "") throw new ToolError(`Jina reader returned an empty page for ${url}`);
    const maxChars = this.options.maxChars ?? 1_000_000;
    const title = /^Title:\s*(.*)$/m.exec(text)?.[1]?.trim() ?? "";
    return { url, title, text: text.slice(0, maxChars), truncated: text.length > maxChars };
  }
}
