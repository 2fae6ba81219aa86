import { mkdtempSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCorpus } from "../corpus/build.js";
import { openCorpus, type SqliteCorpus } from "../corpus/sqlite-corpus.js";
import { parseContents } from "../corpus/text.js";
import { type RetrievalServer, startRetrievalServer } from "./retrieval-server.js";

let home: string;
let corpus: SqliteCorpus;
let server: RetrievalServer;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "drkit-serve-"));
  await buildCorpus({ name: "hotpotqa", from: ["data/hotpotqa/corpus.jsonl"], home, quiet: true });
  corpus = openCorpus("hotpotqa", { home });
  server = await startRetrievalServer(corpus, { port: 0, topk: 3, maxQueries: 8, maxTopk: 20, maxBodyBytes: 4096 });
});
afterAll(async () => {
  await server.close();
  corpus.close();
  rmSync(home, { recursive: true, force: true });
});

async function post(body: unknown, path = "/retrieve") {
  const response = await fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("POST /retrieve (Search-R1 / verl contract)", () => {
  it("return_scores true: one list per query, {document: {id, contents}, score} ranked by BM25", async () => {
    const { status, body } = await post({
      queries: ["Scott Derrickson director", "Ed Wood American filmmaker"],
      topk: 2,
      return_scores: true,
    });
    expect(status).toBe(200);
    const result = body.result as { document: { id: string; contents: string }; score: number }[][];
    expect(result).toHaveLength(2);
    expect(result[0]).toHaveLength(2);
    expect(result[0]?.[0]?.document.id).toBe("scott-derrickson-197f8b11");
    expect(Object.keys(result[0]?.[0]?.document ?? {}).sort()).toEqual(["contents", "id"]);
    const first = parseContents(result[0]?.[0]?.document.contents ?? "");
    expect(first.title).toBe("Scott Derrickson");
    expect(
      result[0]?.[0]?.document.contents.startsWith('"Scott Derrickson"\nScott Derrickson (born July 16, 1966)'),
    ).toBe(true);
    expect(result[0]?.[0]?.score).toBeGreaterThan(result[0]?.[1]?.score ?? Number.POSITIVE_INFINITY);
    expect(result[1]?.map((item) => item.document.id)).toContain("ed-wood-aa8cdc00");
    // the same ranking as the library call
    const direct = (await corpus.search(["Scott Derrickson director"], 2))[0]!;
    expect(result[0]?.map((item) => item.score)).toEqual(direct.map((hit) => hit.score));
  });

  it("return_scores false: bare documents; missing return_scores means false", async () => {
    for (const request of [
      { queries: ["Ed Wood", "Woodson Arkansas"], topk: 1, return_scores: false },
      { queries: ["Ed Wood", "Woodson Arkansas"], topk: 1 },
    ]) {
      const { status, body } = await post(request);
      expect(status).toBe(200);
      const result = body.result as { id: string; contents: string }[][];
      expect(result).toHaveLength(2);
      expect(Object.keys(result[1]?.[0] ?? {}).sort()).toEqual(["contents", "id"]);
      expect(result[1]?.[0]?.id).toBe("woodson-arkansas-c1572ed4");
    }
  });

  it("topk null, 0 or missing falls back to the server default (3)", async () => {
    for (const topk of [null, 0, undefined]) {
      const { body } = await post({ queries: ["American film director"], topk, return_scores: true });
      expect((body.result as unknown[][])[0]).toHaveLength(3);
    }
  });

  it("empty and syntax-heavy queries give empty or normal lists, never errors", async () => {
    const { status, body } = await post({
      queries: ["", "   ", "😀🎉", 'NEAR(title: "x* AND OR NOT', "Ed^Wood*"],
      topk: 2,
      return_scores: true,
    });
    expect(status).toBe(200);
    const result = body.result as unknown[][];
    expect(result.map((list) => list.length)).toEqual([0, 0, 0, 2, 2]);
    const empty = await post({ queries: [], topk: 2, return_scores: true });
    expect(empty.body).toEqual({ result: [] });
  });

  it("bad input gets 400 JSON errors", async () => {
    const cases: [unknown, RegExp][] = [
      ["not json", /must be JSON/],
      ["[1,2]", /JSON object/],
      [{ topk: 3 }, /queries/],
      [{ queries: "one string" }, /queries/],
      [{ queries: [1, 2] }, /queries/],
      [{ queries: ["a"], topk: -1 }, /topk/],
      [{ queries: ["a"], topk: 2.5 }, /topk/],
      [{ queries: ["a"], topk: 21 }, /at most 20/],
      [{ queries: ["a"], topk: "3" }, /topk/],
      [{ queries: ["a"], return_scores: "yes" }, /return_scores/],
      [{ queries: Array.from({ length: 9 }, () => "a") }, /at most 8 queries/],
    ];
    for (const [body, message] of cases) {
      const response = await post(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(String(response.body.error)).toMatch(message);
    }
  });

  it("413 for bodies over the limit, 404 for unknown routes, 405 for wrong methods", async () => {
    const big = await post({ queries: ["x".repeat(5000)] });
    expect(big.status).toBe(413);
    expect(String(big.body.error)).toMatch(/too large/);
    const missing = await post({ queries: ["a"] }, "/search");
    expect(missing.status).toBe(404);
    const wrongMethod = await fetch(`${server.url}/retrieve`);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("POST");
    expect(((await wrongMethod.json()) as { error: string }).error).toMatch(/POST/);
  });

  it("GET /health reports the corpus, and the server keeps serving after errors", async () => {
    const response = await fetch(`${server.url}/health`);
    expect(await response.json()).toEqual({ status: "ok", corpus: "hotpotqa", passages: 3957 });
    // a raw malformed HTTP request does not take the server down
    await new Promise<void>((resolve) => {
      const request = httpRequest(`${server.url}/retrieve`, { method: "POST", headers: { "Content-Length": "10" } });
      request.on("error", () => resolve());
      request.on("response", (res) => {
        res.resume();
        res.on("end", () => resolve());
      });
      request.write("{");
      request.destroy();
      setTimeout(resolve, 200);
    });
    const again = await post({ queries: ["Ed Wood"], topk: 1, return_scores: true });
    expect(again.status).toBe(200);
  });

  it("binds 127.0.0.1 by default and close() stops it", async () => {
    const other = await startRetrievalServer(corpus, { port: 0 });
    expect(other.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await other.close();
    await expect(fetch(`${other.url}/health`)).rejects.toThrow();
  });

  it("answers Search-R1's 2,560-query requests by default and refuses more results than one request may ask for", async () => {
    const big = await startRetrievalServer(corpus, { port: 0 });
    try {
      const queries = Array.from({ length: 2560 }, (_, i) => `query ${i % 7}`);
      const ok = await fetch(`${big.url}/retrieve`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ queries, topk: 3, return_scores: true }),
      });
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as { result: unknown[] }).result).toHaveLength(2560);
      const tooMuch = await fetch(`${big.url}/retrieve`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ queries: queries.slice(0, 1024), topk: 100 }),
      });
      expect(tooMuch.status).toBe(400);
      expect(((await tooMuch.json()) as { error: string }).error).toContain(
        "1024 queries × topk 100 = 102400 results, more than the 32768 one request may ask for",
      );
    } finally {
      await big.close();
    }
  });
});
