/**
 * The CrawlQA collector. Online: breadth-first crawl from root URLs with robots.txt respected, a per-host rate
 * limit (the larger of `--delay` and the site's Crawl-delay), depth and page caps, same-site scope and the SSRF
 * guard, keeping a resumable frontier in SQLite (`<dir>/frontier.sqlite`). Offline: the link/title graph of a
 * local page collection (KILT pages, or any JSONL of {title, text}) where a page links to every other page whose
 * title its text mentions. Both give `CollectedPage`s for question generation.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { parseHTML } from "linkedom";
import { CancelledError, DataError, describeError, InputError } from "../core/errors.js";
import { createProgress } from "../core/progress.js";
import { decodeBody, htmlToText } from "../tools/page-reader.js";
import { guardedFetch, type SsrfGuard } from "../tools/ssrf-guard.js";
import { ALLOW_ALL, DISALLOW_ALL, parseRobots, type RobotsRules } from "./robots.js";
import { displayName, findMention } from "./text.js";

export interface CollectedPage {
  /** URL (crawl) or `title:<title>` (offline graph). */
  id: string;
  title: string;
  text: string;
  /** Ids of linked pages that were collected too. */
  links: string[];
  depth: number;
}

export interface CrawlOptions {
  roots: string[];
  /** Folder for the frontier database. */
  directory: string;
  guard: SsrfGuard;
  maxDepth?: number;
  maxPages?: number;
  /** Minimum delay between two requests to one host (default 1000 ms). */
  delayMs?: number;
  /** Stay on the roots' hosts (default true). */
  sameSite?: boolean;
  userAgent?: string;
  /** Characters of page text kept (default 20,000). */
  maxChars?: number;
  quiet?: boolean;
  signal?: AbortSignal;
  /** Clock and sleep (tests). */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface CrawlSummary {
  fetched: number;
  failed: number;
  disallowed: number;
  queued: number;
  pages: CollectedPage[];
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS urls (
  url TEXT PRIMARY KEY,
  depth INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'queued',
  title TEXT,
  text TEXT,
  links TEXT,
  error TEXT,
  seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS urls_queue ON urls(status, depth, seq);
`;

function normalizeUrl(raw: string, base?: string): string | undefined {
  try {
    const url = new URL(raw, base);
    if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
    url.hash = "";
    return url.toString();
  } catch {
    return undefined;
  }
}

export function extractLinks(html: string, base: string): string[] {
  const { document } = parseHTML(html);
  const out = new Set<string>();
  for (const anchor of document.querySelectorAll("a[href]")) {
    const rel = (anchor.getAttribute("rel") ?? "").toLowerCase();
    if (rel.includes("nofollow")) continue;
    const url = normalizeUrl(anchor.getAttribute("href") ?? "", base);
    if (url) out.add(url);
  }
  return [...out];
}

export async function crawlSite(options: CrawlOptions): Promise<CrawlSummary> {
  if (options.roots.length === 0) throw new InputError("give at least one root URL");
  const maxDepth = options.maxDepth ?? 2;
  const maxPages = options.maxPages ?? 100;
  const delayMs = options.delayMs ?? 1000;
  const userAgent = options.userAgent ?? "drkit-crawlqa/0.1 (+https://github.com/drkit)";
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const roots = options.roots.map((root) => {
    const url = normalizeUrl(root);
    if (!url) throw new InputError(`not an http(s) URL: ${root}`);
    return url;
  });
  const hosts = new Set(roots.map((root) => new URL(root).host));
  mkdirSync(options.directory, { recursive: true });
  const database = new Database(join(options.directory, "frontier.sqlite"));
  database.pragma("journal_mode = WAL");
  database.exec(SCHEMA);
  let seq = (database.prepare("SELECT COALESCE(MAX(seq), 0) AS seq FROM urls").get() as { seq: number }).seq;
  const insert = database.prepare("INSERT OR IGNORE INTO urls (url, depth, seq) VALUES (?, ?, ?)");
  const enqueue = (url: string, depth: number) => {
    seq += 1;
    insert.run(url, depth, seq);
  };
  for (const root of roots) enqueue(root, 0);
  const nextQueued = database.prepare(
    "SELECT url, depth FROM urls WHERE status = 'queued' ORDER BY depth, seq LIMIT 1",
  );
  const count = database.prepare("SELECT COUNT(*) AS n FROM urls WHERE status = ?");
  const finish = database.prepare(
    "UPDATE urls SET status = ?, title = ?, text = ?, links = ?, error = ? WHERE url = ?",
  );
  const fetchedCount = () => (count.get("done") as { n: number }).n;
  const robots = new Map<string, RobotsRules>();
  const lastRequest = new Map<string, number>();
  const politeFetch = async (url: URL) => {
    const rules = robots.get(url.host);
    const wait = Math.max(delayMs, rules?.crawlDelayMs ?? 0);
    const last = lastRequest.get(url.host);
    if (last !== undefined && now() - last < wait) await sleep(wait - (now() - last));
    lastRequest.set(url.host, now());
    return guardedFetch(url.toString(), {
      guard: options.guard,
      signal: options.signal,
      headers: { "user-agent": userAgent },
      maxBytes: 5_000_000,
      timeoutMs: 30_000,
    });
  };
  const rulesFor = async (url: URL): Promise<RobotsRules> => {
    const known = robots.get(url.host);
    if (known) return known;
    let rules: RobotsRules;
    try {
      const page = await politeFetch(new URL("/robots.txt", url));
      if (page.status >= 200 && page.status < 300) rules = parseRobots(decodeBody(page), userAgent);
      else if (page.status >= 400 && page.status < 500) rules = ALLOW_ALL;
      else rules = DISALLOW_ALL; // 5xx: the site is unavailable, crawl nothing (RFC 9309 §2.3.1.4)
    } catch {
      rules = DISALLOW_ALL;
    }
    robots.set(url.host, rules);
    return rules;
  };
  const progress = createProgress({ label: "crawl", total: maxPages, start: fetchedCount(), quiet: options.quiet });
  try {
    while (fetchedCount() < maxPages) {
      if (options.signal?.aborted) throw new CancelledError();
      const next = nextQueued.get() as { url: string; depth: number } | undefined;
      if (!next) break;
      const url = new URL(next.url);
      const rules = await rulesFor(url);
      if (!rules.allows(url.pathname + url.search)) {
        finish.run("disallowed", null, null, null, "robots.txt", next.url);
        continue;
      }
      try {
        const page = await politeFetch(url);
        if (page.status < 200 || page.status >= 300) throw new Error(`HTTP ${page.status}`);
        if (!/html|text\/plain/i.test(page.contentType)) throw new Error(`skipped content type ${page.contentType}`);
        const body = decodeBody(page);
        const base = page.finalUrl || next.url;
        const { title, text } = /html/i.test(page.contentType)
          ? htmlToText(body, base)
          : { title: next.url, text: body };
        const links = /html/i.test(page.contentType) ? extractLinks(body, base) : [];
        const scoped = links.filter((link) => !(options.sameSite ?? true) || hosts.has(new URL(link).host));
        if (next.depth < maxDepth) for (const link of scoped) enqueue(link, next.depth + 1);
        finish.run("done", title, text.slice(0, options.maxChars ?? 20_000), JSON.stringify(scoped), null, next.url);
        progress.increment(1);
      } catch (error) {
        if (options.signal?.aborted) throw new CancelledError();
        finish.run("failed", null, null, null, describeError(error), next.url);
      }
    }
  } finally {
    progress.stop();
  }
  const rows = database
    .prepare("SELECT url, depth, title, text, links FROM urls WHERE status = 'done' ORDER BY seq")
    .all() as { url: string; depth: number; title: string; text: string; links: string }[];
  const collected = new Set(rows.map((row) => row.url));
  const pages = rows.map((row) => ({
    id: row.url,
    title: row.title,
    text: row.text,
    depth: row.depth,
    links: (JSON.parse(row.links) as string[]).filter((link) => collected.has(link) && link !== row.url),
  }));
  const summary = {
    fetched: rows.length,
    failed: (count.get("failed") as { n: number }).n,
    disallowed: (count.get("disallowed") as { n: number }).n,
    queued: (count.get("queued") as { n: number }).n,
    pages,
  };
  database.close();
  return summary;
}

/**
 * The offline graph: pages from a KILT-style JSONL (`wikipedia_title`, `text` paragraphs) or `{title, text}`
 * lines; page A links to page B when A's text names B's title.
 */
export function pagesFromFile(file: string, options: { maxChars?: number; maxPages?: number } = {}): CollectedPage[] {
  const lines = readFileSync(file, "utf8").split("\n");
  const pages: CollectedPage[] = [];
  for (const [index, line] of lines.entries()) {
    if (line.trim() === "") continue;
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch (error) {
      throw new DataError(`invalid JSON: ${(error as Error).message}`, { file, line: index + 1 });
    }
    const title = String(record.wikipedia_title ?? record.title ?? "");
    const rawText = record.text ?? record.contents ?? "";
    const paragraphs = Array.isArray(rawText) ? (rawText as unknown[]).map(String) : [String(rawText)];
    const body = (paragraphs[0]?.trim() === title ? paragraphs.slice(1) : paragraphs).join("\n").trim();
    if (!title || !body)
      throw new DataError("each line needs a title (wikipedia_title) and text", { file, line: index + 1 });
    pages.push({ id: `title:${title}`, title, text: body.slice(0, options.maxChars ?? 20_000), links: [], depth: 0 });
    if (options.maxPages !== undefined && pages.length >= options.maxPages) break;
  }
  for (const page of pages)
    page.links = pages
      .filter((other) => {
        const name = displayName(other.title);
        return other !== page && name.length >= 3 && findMention(page.text, name) !== null;
      })
      .map((other) => other.id);
  return pages;
}
