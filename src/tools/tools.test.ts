import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type ScriptedOpenAIServer, startScriptedOpenAIServer } from "../../test/fixtures/scripted-openai-server.js";
import { htmlPage, type SiteServer, startSiteServer } from "../../test/fixtures/site-server.js";
import { buildCorpus } from "../corpus/build.js";
import { openCorpus } from "../corpus/sqlite-corpus.js";
import type { Corpus } from "../corpus/types.js";
import { OpenAICompatibleChatModel } from "../llm/openai-compatible.js";
import { MemoryResponseCache } from "../llm/response-cache.js";
import { PageExtractor, parseExtraction } from "./page-extractor.js";
import { HttpPageReader, htmlToText } from "./page-reader.js";
import { CorpusSearchProvider } from "./search/corpus-provider.js";
import { createSearchProvider } from "./search/create-provider.js";
import { RetrieveSearchProvider } from "./search/retrieve-provider.js";
import { SCHOLAR_TOOL, SearchTool } from "./search/search-tool.js";
import {
  JinaSearchProvider,
  SearxngSearchProvider,
  SerperScholarProvider,
  SerperSearchProvider,
  TavilySearchProvider,
} from "./search/web-providers.js";
import { embeddedIPv4, guardedFetch, SsrfGuard } from "./ssrf-guard.js";
import { runTool, type Tool, toolDefinition } from "./tool.js";
import { withToolCache } from "./tool-cache.js";
import { VisitTool } from "./visit-tool.js";

let site: SiteServer;
let server: ScriptedOpenAIServer | undefined;
let home: string;
let corpus: Corpus;

beforeAll(async () => {
  site = await startSiteServer({
    "/article": htmlPage(
      "Eiffel Tower",
      "<p>The Eiffel Tower is a wrought-iron lattice tower on the Champ de Mars in Paris, France. It is 330 metres tall and was completed in 1889 for the World's Fair.</p><p>It was designed by the company of Gustave Eiffel and is the most visited paid monument in the world.</p>",
    ),
    "/moved": { redirect: "/article" },
    "/loop": { redirect: "/loop" },
    "/to-metadata": { redirect: "http://169.254.169.254/latest/meta-data" },
    "/big": { body: "word ".repeat(400_000), contentType: "text/plain", chunkBytes: 65_536 },
    "/file.pdf": { body: Buffer.from("%PDF-1.4 binary"), contentType: "application/pdf" },
    "/empty": { body: "", contentType: "text/plain" },
  });
  home = mkdtempSync(join(tmpdir(), "drkit-tools-"));
  await buildCorpus({ name: "wiki", from: ["data/wiki_sample/search_r1_example_corpus10.jsonl"], home, quiet: true });
  corpus = openCorpus("wiki", { home });
});
afterAll(async () => {
  await site.close();
  corpus.close();
  rmSync(home, { recursive: true, force: true });
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("SSRF guard", () => {
  const guard = new SsrfGuard();
  it("classifies loopback, private, link-local, metadata and public addresses", () => {
    expect(guard.blockReason("127.0.0.1")).toBe("a loopback address");
    expect(guard.blockReason("::1")).toBe("a loopback address");
    expect(guard.blockReason("10.1.2.3")).toBe("a private or link-local address");
    expect(guard.blockReason("192.168.0.10")).toBe("a private or link-local address");
    expect(guard.blockReason("fe80::1")).toBe("a private or link-local address");
    expect(guard.blockReason("fd12::1")).toBe("a private or link-local address");
    expect(guard.blockReason("169.254.169.254")).toBe("a cloud metadata address");
    expect(guard.blockReason("::ffff:127.0.0.1")).toBe("a loopback address");
    expect(guard.blockReason("::ffff:7f00:1")).toBe("a loopback address");
    expect(guard.blockReason("0.0.0.0")).toBe("a reserved, multicast or unspecified address");
    expect(guard.blockReason("93.184.216.34")).toBeUndefined();
    expect(guard.blockReason("2606:4700::1111")).toBeUndefined();
    const permissive = new SsrfGuard({ allowLoopback: true, allowPrivate: true });
    expect(permissive.blockReason("127.0.0.1")).toBeUndefined();
    expect(permissive.blockReason("10.0.0.1")).toBeUndefined();
    expect(permissive.blockReason("169.254.169.254")).toBe("a cloud metadata address");
  });

  it("decodes every IPv6 form that carries an IPv4 address and judges the IPv4 it reaches", () => {
    const cases: [string, string | undefined][] = [
      ["64:ff9b::a9fe:a9fe", "a cloud metadata address"], // NAT64, hex form as URLs write it
      ["64:ff9b::169.254.169.254", "a cloud metadata address"],
      ["64:ff9b:1::a00:1", "a private or link-local address"], // local-use NAT64 of 10.0.0.1
      ["::127.0.0.1", "a loopback address"], // IPv4-compatible
      ["::7f00:1", "a loopback address"],
      ["::ffff:0:7f00:1", "a loopback address"], // SIIT ::ffff:0:0/96
      ["::ffff:a9fe:a9fe", "a cloud metadata address"],
      ["2002:7f00:1::", "a loopback address"], // 6to4 of 127.0.0.1
      ["2002:c0a8:0101::1", "a private or link-local address"], // 6to4 of 192.168.1.1
      ["2001:0:4136:e378:8000:63bf:80ff:fffe", "a loopback address"], // Teredo: client ~0x80fffffe = 127.0.0.1
      ["fec0::1", "a private or link-local address"], // site-local
      ["[::ffff:10.0.0.1]", "a private or link-local address"],
      ["::1", "a loopback address"],
      ["::", "a reserved, multicast or unspecified address"],
      ["64:ff9b::5db8:d822", undefined], // NAT64 of the public 93.184.216.34
      ["2002:5db8:d822::1", undefined],
      ["2606:4700::1111", undefined],
    ];
    for (const [address, reason] of cases) expect([address, guard.blockReason(address)]).toEqual([address, reason]);
    expect(embeddedIPv4("64:ff9b::a9fe:a9fe")).toBe("169.254.169.254");
    expect(embeddedIPv4("2606:4700::1111")).toBeUndefined();
  });

  it("refuses loopback URLs, localhost and non-http schemes unless allowed", async () => {
    await expect(guard.check(site.url("/article"))).rejects.toThrow(/loopback/);
    await expect(guard.check("http://localhost:1/")).rejects.toThrow(/loopback/);
    await expect(guard.check("file:///etc/passwd")).rejects.toThrow(/only http and https/);
    await expect(guard.check("http://metadata.google.internal/")).rejects.toThrow(/metadata/);
    await expect(new SsrfGuard({ allowLoopback: true }).check(site.url("/article"))).resolves.toBeUndefined();
  });

  it("fetches through redirects, re-checking every hop, with redirect, size and content-type caps", async () => {
    const guard = new SsrfGuard({ allowLoopback: true });
    const page = await guardedFetch(site.url("/moved"), { guard });
    expect(page.finalUrl).toBe(site.url("/article"));
    expect(page.redirects).toEqual([site.url("/article")]);
    await expect(guardedFetch(site.url("/loop"), { guard, maxRedirects: 3 })).rejects.toThrow(/too many redirects/);
    await expect(guardedFetch(site.url("/to-metadata"), { guard })).rejects.toThrow(/metadata/);
    const big = await guardedFetch(site.url("/big"), { guard, maxBytes: 100_000 });
    expect(big.body.length).toBe(100_000);
    expect(big.truncated).toBe(true);
    await expect(guardedFetch(site.url("/file.pdf"), { guard, acceptContentTypes: ["text/"] })).rejects.toThrow(
      /application\/pdf/,
    );
    await guard.close();
  });
});

describe("page reading", () => {
  it("extracts the article as Markdown without navigation", () => {
    const { title, text } = htmlToText(
      htmlPage("Tower", `<p>${"The tower is tall and made of iron. ".repeat(8)}</p>`).body as string,
    );
    expect(title).toBe("Tower");
    expect(text).toContain("The tower is tall and made of iron.");
    expect(text).not.toContain("Fixture site footer");
  });

  it("reads local pages through the guard and refuses them without allowLoopback", async () => {
    const reader = new HttpPageReader({ guard: new SsrfGuard({ allowLoopback: true }) });
    const page = await reader.read(site.url("/moved"));
    expect(page.url).toBe(site.url("/article"));
    expect(page.text).toContain("330 metres tall");
    await reader.close();
    await expect(new HttpPageReader().read(site.url("/article"))).rejects.toThrow(/loopback/);
  });
});

describe("visit tool", () => {
  const extraction = { rational: "height", evidence: "It is 330 metres tall", summary: "The tower is 330 m." };

  it("extracts goal-directed evidence with the extractor model and records the request", async () => {
    server = await startScriptedOpenAIServer({ script: [{ content: JSON.stringify(extraction) }] });
    const model = new OpenAICompatibleChatModel({ baseUrl: server.baseUrl, model: "extractor" });
    const visit = new VisitTool({
      reader: new HttpPageReader({ guard: new SsrfGuard({ allowLoopback: true }) }),
      extractor: new PageExtractor({ model }),
    });
    const result = await runTool(visit, { url: [site.url("/article")], goal: "height of the tower" });
    expect(result.isError).toBe(false);
    expect(result.content).toBe(
      `The useful information in ${site.url("/article")} for user goal height of the tower as follows: \n\nEvidence in page: \nIt is 330 metres tall\n\nSummary: \nThe tower is 330 m.\n\n`,
    );
    expect(result.sources).toEqual([site.url("/article")]);
    const body = server.requests[0]!.body;
    expect(body.response_format).toEqual({ type: "json_object" });
    expect(body.temperature).toBe(0.7);
    expect(body.messages[0].content).toContain("330 metres tall");
    expect(body.messages[0].content).toContain("height of the tower");
  });

  it("cuts the page after empty replies and re-asks after bad JSON", async () => {
    server = await startScriptedOpenAIServer({
      script: [
        { content: "" },
        { content: "  " },
        { content: "not json at all" },
        { content: `Sure!\n\`\`\`json\n${JSON.stringify(extraction)}\n\`\`\`` },
      ],
    });
    const model = new OpenAICompatibleChatModel({ baseUrl: server.baseUrl, model: "extractor" });
    const extractor = new PageExtractor({ model });
    const page = "x".repeat(10_000);
    const result = await extractor.extract(page, "goal");
    expect(result.extraction).toEqual(extraction);
    expect(result.calls).toBe(4);
    const lengths = server.requests.map((r) => (r.body.messages[0].content.match(/x+/)?.[0] ?? "").length);
    expect(lengths).toEqual([10_000, 7_000, 4_900, 4_900]);
  });

  it("parses extractor replies with fences, surrounding prose or JSON5", () => {
    expect(parseExtraction('```json\n{"rational":"r","evidence":"e","summary":"s"}\n```')).toEqual({
      rational: "r",
      evidence: "e",
      summary: "s",
    });
    expect(parseExtraction("Here: {evidence: 'e', summary: 's',} done")).toEqual({
      rational: "",
      evidence: "e",
      summary: "s",
    });
    expect(parseExtraction("no json")).toBeUndefined();
  });

  it("gives the failure output for unreadable pages and several URLs joined by =======", async () => {
    const visit = new VisitTool({ reader: new HttpPageReader({ guard: new SsrfGuard({ allowLoopback: true }) }) });
    const result = await runTool(visit, { url: [site.url("/article"), site.url("/file.pdf")], goal: "g" });
    const [first, second] = result.content.split("\n=======\n");
    expect(first).toContain("330 metres tall");
    expect(second).toContain("could not be accessed");
    expect(second).toContain("application/pdf");
    expect(result.isError).toBe(false);
  });

  it("opens local-corpus passages by id and pages by title", async () => {
    const visit = new VisitTool({ corpus });
    const byId = await runTool(visit, { url: "0", goal: "who" });
    expect(byId.content).toContain("Evan Morris");
    expect(byId.sources).toContain("0");
    const missing = await runTool(visit, { url: "no-such-passage", goal: "who" });
    expect(missing.isError).toBe(true);
    expect(missing.content).toContain("could not be accessed");
  });
});

describe("search tool", () => {
  it("searches the local corpus and renders Search-R1 documents", async () => {
    const tool = new SearchTool({ provider: new CorpusSearchProvider(corpus), style: "search-r1", topk: 2 });
    const result = await runTool(tool, { query: "Evan Morris lobbyist Genentech" });
    expect(result.content.startsWith('Doc 1(Title: "Evan Morris") Evan Morris Evan L. Morris')).toBe(true);
    expect(result.content.split("\n").filter((line) => line.startsWith("Doc ")).length).toBeLessThanOrEqual(2);
    expect(result.sources[0]).toBe("0");
  });

  it("calls a /retrieve server in the Search-R1 contract and renders Tongyi blocks", async () => {
    let received: unknown;
    site.set("/retrieve", async (request) => {
      const parts: Buffer[] = [];
      for await (const part of request) parts.push(part as Buffer);
      received = JSON.parse(Buffer.concat(parts).toString("utf8"));
      return {
        contentType: "application/json",
        body: JSON.stringify({
          result: [[{ document: { id: "12", contents: '"Paris"\nParis is the capital of France.' }, score: 0.9 }], []],
        }),
      };
    });
    const tool = new SearchTool({ provider: new RetrieveSearchProvider({ url: site.origin }) });
    const result = await runTool(tool, { query: ["capital of france", "nothing"] });
    expect(received).toEqual({ queries: ["capital of france", "nothing"], topk: 10, return_scores: true });
    const [first, second] = result.content.split("\n=======\n");
    expect(first).toBe(
      "A Google search for 'capital of france' found 1 results:\n\n## Web Results\n1. [Paris](12)\n\nParis is the capital of France.",
    );
    expect(second).toContain("found 0 results");
    expect(result.sources).toEqual(["12"]);
  });

  it("sends Serper requests with the key and Tongyi locale rule", async () => {
    const bodies: unknown[] = [];
    const keys: unknown[] = [];
    site.set("/search", async (request) => {
      const parts: Buffer[] = [];
      for await (const part of request) parts.push(part as Buffer);
      bodies.push(JSON.parse(Buffer.concat(parts).toString("utf8")));
      keys.push(request.headers["x-api-key"]);
      return {
        contentType: "application/json",
        body: JSON.stringify({
          organic: [{ title: "T", link: "https://example.org/t", snippet: "S", date: "2020", source: "Ex" }],
        }),
      };
    });
    const provider = new SerperSearchProvider({ apiKey: "k1", baseUrl: site.origin });
    const tool = new SearchTool({ provider, topk: 5 });
    const result = await runTool(tool, { query: ["tower", "埃菲尔铁塔"] });
    expect(keys).toEqual(["k1", "k1"]);
    expect(bodies).toContainEqual({ q: "tower", location: "United States", gl: "us", hl: "en", num: 5 });
    expect(bodies).toContainEqual({ q: "埃菲尔铁塔", location: "China", gl: "cn", hl: "zh-cn", num: 5 });
    expect(result.content).toContain("1. [T](https://example.org/t)\nDate published: 2020\nSource: Ex\n\nS");
  });

  it("searches Google Scholar through Serper's /scholar as the google_scholar tool", async () => {
    const bodies: unknown[] = [];
    site.set("/scholar", async (request) => {
      const parts: Buffer[] = [];
      for await (const part of request) parts.push(part as Buffer);
      bodies.push(JSON.parse(Buffer.concat(parts).toString("utf8")));
      return {
        contentType: "application/json",
        body: JSON.stringify({
          organic: [
            {
              title: "Attention Is All You Need",
              link: "https://arxiv.org/abs/1706.03762",
              snippet: "The dominant sequence transduction models…",
              publicationInfo: "A Vaswani, N Shazeer - Advances in neural information processing systems, 2017",
              year: 2017,
              citedBy: 100000,
            },
            { title: "A paper with only a PDF", pdfUrl: "https://example.org/p.pdf", snippet: "s" },
          ],
        }),
      };
    });
    const tool = new SearchTool({
      provider: new SerperScholarProvider({ apiKey: "k", baseUrl: site.origin }),
      ...SCHOLAR_TOOL,
    });
    expect(tool.name).toBe("google_scholar");
    expect(toolDefinition(tool).name).toBe("google_scholar");
    const result = await runTool(tool, { query: "transformer attention" });
    expect(bodies).toEqual([{ q: "transformer attention", num: 10 }]);
    expect(result.content).toContain(
      "1. [Attention Is All You Need](https://arxiv.org/abs/1706.03762)\nDate published: 2017\nSource: A Vaswani, N Shazeer - Advances in neural information processing systems, 2017\n\nThe dominant sequence transduction models…\nCited by 100000",
    );
    expect(result.content).toContain("2. [A paper with only a PDF](https://example.org/p.pdf)");
    expect(() => new SerperScholarProvider({})).toThrow(/SERPER_API_KEY/);
  });

  it("reads SearXNG JSON results and explains its 403", async () => {
    site.set("/searx/search", (request) => ({
      contentType: "application/json",
      body: JSON.stringify({
        results: [{ title: "Tower", url: "https://example.org/tower", content: request.url ?? "", engine: "ddg" }],
      }),
    }));
    const searx = new SearxngSearchProvider({ baseUrl: `${site.origin}/searx` });
    const [results] = await searx.search(["eiffel tower"], { topk: 3 });
    expect(results![0]).toMatchObject({ title: "Tower", url: "https://example.org/tower", source: "ddg" });
    expect(results![0]!.snippet).toBe("/searx/search?q=eiffel%20tower&format=json");
    site.set("/locked/search", { status: 403, body: "forbidden", contentType: "text/plain" });
    await expect(
      new SearxngSearchProvider({ baseUrl: `${site.origin}/locked` }).search(["x"], { topk: 1 }),
    ).rejects.toThrow(/search\.formats/);
  });

  it("sends Tavily and Jina requests with bearer keys", async () => {
    const seen: { path: string; auth: unknown; body?: unknown }[] = [];
    site.set("/search", async (request) => {
      const parts: Buffer[] = [];
      for await (const part of request) parts.push(part as Buffer);
      seen.push({
        path: "/search",
        auth: request.headers.authorization,
        body: JSON.parse(Buffer.concat(parts).toString()),
      });
      return {
        contentType: "application/json",
        body: JSON.stringify({ results: [{ title: "A", url: "https://a", content: "c", score: 0.5 }] }),
      };
    });
    site.set("/", (request) => {
      seen.push({ path: request.url ?? "", auth: request.headers.authorization });
      return {
        contentType: "application/json",
        body: JSON.stringify({ data: [{ title: "J", url: "https://j", description: "d" }] }),
      };
    });
    const tavily = await new TavilySearchProvider({ apiKey: "tv", baseUrl: site.origin }).search(["q1"], { topk: 4 });
    const jina = await new JinaSearchProvider({ apiKey: "jn", baseUrl: site.origin }).search(["q 2"], { topk: 4 });
    expect(tavily[0]![0]).toMatchObject({ title: "A", url: "https://a", snippet: "c", score: 0.5 });
    expect(jina[0]![0]).toMatchObject({ title: "J", url: "https://j", snippet: "d" });
    expect(seen).toEqual([
      { path: "/search", auth: "Bearer tv", body: { query: "q1", max_results: 4 } },
      { path: "/?q=q%202", auth: "Bearer jn" },
    ]);
  });

  it("says which key to set when a provider key is missing", () => {
    expect(() => createSearchProvider({ provider: "serper", env: {} })).toThrow(/SERPER_API_KEY/);
    expect(() => createSearchProvider({ provider: "tavily", env: {} })).toThrow(/TAVILY_API_KEY/);
    expect(() => createSearchProvider({ provider: "searxng", env: {} })).toThrow(/SEARXNG_URL/);
    expect(() => createSearchProvider({ provider: "bing", env: {} })).toThrow(/unknown search provider/);
  });
});

describe("tool running", () => {
  const echo: Tool<{ text: string }> = {
    name: "echo",
    description: "echo",
    inputSchema: z.object({ text: z.string() }),
    execute: async (input) => {
      if (input.text === "boom") throw new Error("exploded");
      if (input.text === "slow") await new Promise((resolve) => setTimeout(resolve, 1_000));
      return { content: input.text, sources: [input.text] };
    },
  };

  it("turns bad input, thrown errors and timeouts into error results", async () => {
    expect((await runTool(echo, { text: 3 })).content).toMatch(/Invalid arguments for tool "echo": text/);
    expect(await runTool(echo, { text: "boom" })).toMatchObject({
      isError: true,
      content: 'Tool "echo" failed: exploded',
    });
    expect(await runTool(echo, { text: "slow" }, { timeoutMs: 20 })).toMatchObject({ isError: true });
    expect(await runTool(echo, { text: "ok" })).toMatchObject({ isError: false, content: "ok", sources: ["ok"] });
  });

  it("caches successful outputs per tool and input", async () => {
    let calls = 0;
    const counting: Tool<{ text: string }> = {
      ...echo,
      execute: async (input) => ({ content: `${input.text}${++calls}` }),
    };
    const cached = withToolCache(counting, new MemoryResponseCache());
    expect((await runTool(cached, { text: "a" })).content).toBe("a1");
    const again = await runTool(cached, { text: "a" });
    expect(again).toMatchObject({ content: "a1", cached: true });
    expect((await runTool(cached, { text: "b" })).content).toBe("b2");
  });

  it("gives native tool definitions as JSON schema", () => {
    const definition = toolDefinition(new SearchTool({ provider: new CorpusSearchProvider(corpus) }) as Tool);
    expect(definition.name).toBe("search");
    expect(definition.parameters).toMatchObject({ type: "object", required: ["query"] });
  });
});
