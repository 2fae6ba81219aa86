import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type ScriptedOpenAIServer, startScriptedOpenAIServer } from "../../test/fixtures/scripted-openai-server.js";
import { htmlPage, type SiteServer, startSiteServer } from "../../test/fixtures/site-server.js";
import { readJsonlRecords } from "../core/jsonl-store.js";
import { buildCorpus } from "../corpus/build.js";
import { openCorpus } from "../corpus/sqlite-corpus.js";
import { OpenAICompatibleChatModel } from "../llm/openai-compatible.js";
import { SsrfGuard } from "../tools/ssrf-guard.js";
import { type CollectedPage, crawlSite, pagesFromFile } from "./crawl.js";
import { type CrawlQaRecord, generateCrawlQuestions, pageGroups, pageReachability } from "./crawl-questions.js";
import { writeJsonl } from "./export.js";
import { parseRobots } from "./robots.js";

let site: SiteServer | undefined;
let server: ScriptedOpenAIServer | undefined;
afterEach(async () => {
  await site?.close();
  await server?.close();
  site = undefined;
  server = undefined;
});

async function fixtureSite() {
  return startSiteServer({
    "/robots.txt": { body: "User-agent: *\nDisallow: /private\nAllow: /private/open\n", contentType: "text/plain" },
    "/": htmlPage(
      "Home",
      '<p>Start.</p><a href="/a">A</a> <a href="/b#part">B</a> <a href="/private/x">secret</a> <a href="/private/open">open</a> <a href="http://other.invalid/page">elsewhere</a>',
    ),
    "/a": htmlPage("Page A", '<p>Alpha links on.</p><a href="/c">C</a>'),
    "/b": htmlPage("Page B", "<p>Bravo has no links.</p>"),
    "/c": htmlPage("Page C", '<p>Charlie.</p><a href="/d">D</a>'),
    "/d": htmlPage("Page D", "<p>Too deep.</p>"),
    "/about": htmlPage("About", "<p>About the site.</p>"),
    "/private/x": htmlPage("Secret", "<p>No.</p>"),
    "/private/open": htmlPage("Open", "<p>Allowed by a longer rule.</p>"),
  });
}

describe("robots.txt", () => {
  it("uses the longest matching rule, wildcards and the agent's own group", () => {
    const rules = parseRobots(
      "User-agent: *\nDisallow: /\n\nUser-agent: drkit\nDisallow: /tmp/\nAllow: /tmp/ok$\nDisallow: /*.pdf$\nCrawl-delay: 2\n",
      "drkit-crawlqa/0.1",
    );
    expect(rules.allows("/index.html")).toBe(true);
    expect(rules.allows("/tmp/x")).toBe(false);
    expect(rules.allows("/tmp/ok")).toBe(true);
    expect(rules.allows("/tmp/ok2")).toBe(false);
    expect(rules.allows("/files/a.pdf")).toBe(false);
    expect(rules.crawlDelayMs).toBe(2000);
    expect(parseRobots("User-agent: *\nDisallow: /\n", "drkit").allows("/a")).toBe(false);
  });
});

describe("crawlSite on a local fixture site (loopback allowed)", () => {
  it("respects robots.txt, depth, same-site scope, and keeps the frontier for resume", async () => {
    site = await fixtureSite();
    const directory = mkdtempSync(join(tmpdir(), "drkit-crawl-"));
    const guard = new SsrfGuard({ allowLoopback: true });
    const first = await crawlSite({
      roots: [site.url("/")],
      directory,
      guard,
      maxDepth: 2,
      maxPages: 2,
      delayMs: 0,
      quiet: true,
    });
    expect(first.fetched).toBe(2);
    const second = await crawlSite({
      roots: [site.url("/")],
      directory,
      guard,
      maxDepth: 2,
      maxPages: 50,
      delayMs: 0,
      quiet: true,
    });
    await guard.close();
    const paths = second.pages.map((page) => new URL(page.id).pathname).sort();
    expect(paths).toEqual(["/", "/a", "/about", "/b", "/c", "/private/open"]);
    expect(second.disallowed).toBe(1);
    const fetchedPaths = site.requests.map((request) => request.path).filter((path) => path !== "/robots.txt");
    // Nothing fetched twice across the two runs, nothing disallowed or too deep fetched.
    expect(new Set(fetchedPaths).size).toBe(fetchedPaths.length);
    expect(fetchedPaths).not.toContain("/private/x");
    expect(fetchedPaths).not.toContain("/d");
    expect(site.requests.every((request) => request.headers["user-agent"]?.startsWith("drkit-crawlqa"))).toBe(true);
    const home = second.pages.find((page) => new URL(page.id).pathname === "/");
    expect(home?.title).toBe("Home");
    expect(home?.links.map((link) => new URL(link).pathname).sort()).toEqual(["/a", "/about", "/b", "/private/open"]);
    expect(second.pages.find((page) => page.title === "Page B")?.text).toContain("Bravo has no links.");
  });

  it("waits the per-host delay between requests", async () => {
    site = await fixtureSite();
    const directory = mkdtempSync(join(tmpdir(), "drkit-crawl-"));
    const guard = new SsrfGuard({ allowLoopback: true });
    let clock = 0;
    const sleeps: number[] = [];
    await crawlSite({
      roots: [site.url("/")],
      directory,
      guard,
      maxDepth: 1,
      maxPages: 3,
      delayMs: 500,
      quiet: true,
      now: () => clock,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
    });
    await guard.close();
    expect(site.requests.length).toBe(4); // robots.txt + 3 pages
    expect(sleeps).toEqual([500, 500, 500]);
  });

  it("refuses loopback without the explicit allowance (SSRF guard)", async () => {
    site = await fixtureSite();
    const directory = mkdtempSync(join(tmpdir(), "drkit-crawl-"));
    const guard = new SsrfGuard();
    const summary = await crawlSite({ roots: [site.url("/")], directory, guard, maxPages: 5, delayMs: 0, quiet: true });
    await guard.close();
    expect(summary.fetched).toBe(0);
    expect(site.requests.length).toBe(0);
  });
});

describe("CrawlQA generation (scripted server)", () => {
  it("builds page groups from the KILT link graph and verifies generated questions", async () => {
    const pages = pagesFromFile("data/wiki_sample/kilt_sample_100.jsonl");
    expect(pages.length).toBe(99);
    const awards = pages.find((page) => page.title === "Academy Award for Best Production Design");
    expect(awards?.links).toContain("title:Academy Awards");
    const groups = pageGroups(pages, 6, 1);
    expect(new Set(groups.map((group) => group.type))).toEqual(new Set(["count", "multi-hop", "intersection"]));

    server = await startScriptedOpenAIServer({
      fallback: (request) => {
        const prompt = request.body.messages[1].content as string;
        const type = /Type: (\S+)/.exec(prompt)?.[1];
        const titles = [...prompt.matchAll(/^Page \d+: (.*) \(title:/gm)].map((match) => match[1] as string);
        if (type === "COUNT")
          return { content: JSON.stringify({ question: "How many items does it list?", answer: 3, evidence: [1] }) };
        // The answer is the last page's title; the question names it for the first INTERSECTION only (a leak).
        const answer = titles.at(-1) ?? "";
        const question = type === "INTERSECTION" ? `Which topic is ${answer}?` : "Which topic links the two pages?";
        return { content: JSON.stringify({ question, answer, evidence: [1, 2] }) };
      },
    });
    const model = new OpenAICompatibleChatModel({ baseUrl: server.baseUrl, model: "scripted-test", maxRetries: 0 });
    const out = join(mkdtempSync(join(tmpdir(), "drkit-crawlqa-")), "crawl.jsonl");
    const { records } = await generateCrawlQuestions({ pages, model, out, count: 6, seed: 1, quiet: true });
    expect(records.length).toBe(6);
    const count = records.find((record) => record.type === "count") as CrawlQaRecord;
    expect(count.kept).toBe(true);
    expect(count.answer).toBe("3");
    const multi = records.find((record) => record.type === "multi-hop") as CrawlQaRecord;
    expect(multi.checks?.grounded.passed).toBe(true);
    expect(multi.checks?.multi_page.passed).toBe(true);
    expect(multi.kept).toBe(true);
    const intersection = records.find((record) => record.type === "intersection") as CrawlQaRecord;
    expect(intersection.kept).toBe(false);
    expect(intersection.drop_reasons).toContain("leakage");
    const prompt = server.requests[0]?.body.messages;
    expect(prompt[0].content).toContain("- MULTI-HOP: ");
    expect(prompt[1].content).toMatch(/^Type: (COUNT|MULTI-HOP|INTERSECTION)\n\nPage 1: /);
    // Resume: nothing is asked again.
    const calls = server.requests.length;
    await generateCrawlQuestions({ pages, model, out, count: 6, seed: 1, quiet: true });
    expect(server.requests.length).toBe(calls);
    expect(readJsonlRecords(out).length).toBe(6);
  });
});

describe("CrawlQA solvability over the collected pages", () => {
  it("reaches evidence by search then link following, and labels one-search questions trivial", async () => {
    const pages: CollectedPage[] = [
      {
        id: "p:river",
        title: "Glass River",
        text: "The Glass River flows through Ambertown and is famous for its clear water.",
        links: ["p:town"],
        depth: 0,
      },
      {
        id: "p:town",
        title: "Ambertown",
        text: "Ambertown has a population of 41,000 and a medieval bridge.",
        links: [],
        depth: 1,
      },
      {
        id: "p:other",
        title: "Copper Hills",
        text: "The Copper Hills are a range of low mountains with old mines.",
        links: [],
        depth: 1,
      },
    ];
    const dir = mkdtempSync(join(tmpdir(), "drkit-crawl-index-"));
    writeJsonl(join(dir, "pages.jsonl"), pages);
    await buildCorpus({ name: "pages", from: [join(dir, "pages.jsonl")], format: "jsonl", home: dir, quiet: true });
    const corpus = openCorpus("pages", { home: dir });
    try {
      const [river, town, hills] = pages as [CollectedPage, CollectedPage, CollectedPage];
      const hop = await pageReachability("Which river with very clear water is it?", [river, town], pages, corpus);
      expect(hop.solvability.passed).toBe(true);
      expect(hop.label).toBe("medium");
      expect(hop.solvability.detail.reached).toEqual(["p:river", "p:town"]);
      const both = await pageReachability(
        "Glass River clear water Ambertown medieval bridge population",
        [river, town],
        pages,
        corpus,
      );
      expect(both.label).toBe("trivial");
      const lost = await pageReachability("Which river with very clear water is it?", [river, hills], pages, corpus);
      expect(lost.solvability.passed).toBe(false);
      expect(lost.label).toBe("unsolvable");
    } finally {
      corpus.close();
    }
  });
});
