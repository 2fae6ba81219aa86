/**
 * An offline web: `drkit serve retrieval` answers ASearcher's `POST /access` with stored pages, and a react episode
 * searches the bundled corpus through `/retrieve` and visits a page through `/access`, with no internet.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAgent } from "../src/agent/run-agent.js";
import { buildCorpus } from "../src/corpus/build.js";
import { wikipediaTitle } from "../src/corpus/page-access.js";
import { openCorpus, type SqliteCorpus } from "../src/corpus/sqlite-corpus.js";
import { OpenAICompatibleChatModel } from "../src/llm/openai-compatible.js";
import { type RetrievalServer, startRetrievalServer } from "../src/serve/retrieval-server.js";
import { AccessPageReader } from "../src/tools/access-page-reader.js";
import { RetrieveSearchProvider } from "../src/tools/search/retrieve-provider.js";
import { SearchTool } from "../src/tools/search/search-tool.js";
import { createVisitTool, parseVisitSource } from "../src/tools/visit-source.js";
import { VisitTool } from "../src/tools/visit-tool.js";
import { startScriptedOpenAIServer } from "./fixtures/scripted-openai-server.js";

let home: string;
let corpus: SqliteCorpus;
let server: RetrievalServer;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "drkit-offline-web-"));
  await buildCorpus({ name: "hotpotqa", from: ["data/hotpotqa/corpus.jsonl"], home, quiet: true });
  corpus = openCorpus("hotpotqa", { home });
  server = await startRetrievalServer(corpus, { port: 0 });
});
afterAll(async () => {
  await server.close();
  corpus.close();
  rmSync(home, { recursive: true, force: true });
});

async function access(urls: unknown) {
  const response = await fetch(`${server.url}/access`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ urls }),
  });
  return { status: response.status, body: (await response.json()) as { result?: unknown[]; error?: string } };
}

describe("POST /access (ASearcher's contract)", () => {
  it("answers the stored page for a Wikipedia URL, a corpus:// link, a passage id or a title; null for others", async () => {
    const { status, body } = await access([
      "https://en.wikipedia.org/wiki/Ed_Wood",
      "https://en.wikipedia.org/w/index.php?title=Scott_Derrickson",
      "corpus://ed-wood-film-cd7bf3f9",
      "Ed Wood",
      "https://example.org/nowhere",
    ]);
    expect(status).toBe(200);
    const [wiki, indexPhp, link, title, missing] = body.result as ({ title: string; contents: string } | null)[];
    expect(wiki?.title).toBe("Ed Wood");
    expect(wiki?.contents).toMatch(/^Edward Davis Wood Jr\. \(October 10, 1924/);
    expect(indexPhp?.title).toBe("Scott Derrickson");
    expect(link?.title).toBe("Ed Wood (film)");
    expect(title?.contents).toBe(wiki?.contents);
    expect(missing).toBeNull();
    expect((await access("Ed Wood")).status).toBe(400);
    expect((await access(Array.from({ length: 300 }, () => "x"))).body.error).toBe("at most 256 urls per request");
  });

  it("reads Wikipedia URL titles and refuses unknown visit sources", () => {
    expect(wikipediaTitle("https://en.wikipedia.org/wiki/Caf%C3%A9_%C3%89mile")).toBe("Café Émile");
    expect(wikipediaTitle("https://en.wikipedia.org/w/index.php/Ed_Wood")).toBe("Ed Wood");
    expect(wikipediaTitle("https://example.org/wiki/Ed_Wood")).toBeUndefined();
    expect(parseVisitSource("access:http://127.0.0.1:8000")).toEqual({ kind: "access", url: "http://127.0.0.1:8000" });
    expect(parseVisitSource("corpus:wiki")).toEqual({ kind: "corpus", name: "wiki" });
    expect(() => parseVisitSource("ftp:x")).toThrow(/--visit must be web, corpus:NAME or access:URL/);
  });
});

describe("createVisitTool", () => {
  it("reads through /access, a named corpus, the searched corpus, or the web, making only what it uses", () => {
    const made: string[] = [];
    const parts = {
      searchCorpus: corpus,
      openCorpus: (name: string) => {
        made.push(`open ${name}`);
        return corpus;
      },
      webReader: () => {
        made.push("reader");
        return new AccessPageReader("http://127.0.0.1:1");
      },
      extractor: () => {
        made.push("extractor");
        return {} as never;
      },
    };
    const access = createVisitTool(parseVisitSource(`access:${server.url}`), parts);
    expect(access.options.reader).toBeInstanceOf(AccessPageReader);
    expect(access.options.corpus).toBeUndefined();
    expect(createVisitTool(parseVisitSource("corpus:hotpotqa"), parts).options.corpus).toBe(corpus);
    expect(createVisitTool(undefined, parts).options.corpus).toBe(corpus);
    expect(made).toEqual([]);
    createVisitTool(parseVisitSource("corpus:other"), parts);
    const web = createVisitTool(parseVisitSource("web"), parts);
    expect(web.options.corpus).toBeUndefined();
    expect(made).toEqual(["open other", "reader", "extractor"]);
  });
});

describe("an offline react episode", () => {
  it("searches through /retrieve and visits a page through /access", async () => {
    const model = await startScriptedOpenAIServer({
      script: [
        { content: '<tool_call>{"name": "search", "arguments": {"query": ["Ed Wood filmmaker"]}}</tool_call>' },
        {
          content:
            '<tool_call>{"name": "visit", "arguments": {"url": "https://en.wikipedia.org/wiki/Ed_Wood", "goal": "his nationality"}}</tool_call>',
        },
        { content: "<answer>American</answer>" },
      ],
    });
    try {
      const trajectory = await runAgent({
        question: "What nationality was Ed Wood?",
        protocol: "react",
        model: new OpenAICompatibleChatModel({ baseUrl: model.baseUrl, model: "fixture" }),
        tools: [
          new SearchTool({ provider: new RetrieveSearchProvider({ url: server.url }) }),
          new VisitTool({ reader: new AccessPageReader(server.url) }),
        ],
      });
      expect(trajectory.termination).toBe("answer");
      expect(trajectory.prediction).toBe("American");
      const [search, visit] = trajectory.turns;
      expect(search?.toolResults[0]?.content).toContain("Ed Wood");
      expect(visit?.toolResults[0]?.isError).toBe(false);
      expect(visit?.toolResults[0]?.content).toContain("was an American filmmaker");
      expect(visit?.toolResults[0]?.sources).toEqual(["https://en.wikipedia.org/wiki/Ed_Wood"]);
    } finally {
      await model.close();
    }
  });
});
