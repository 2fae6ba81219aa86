import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddingServer, startEmbeddingServer } from "../../test/fixtures/embedding-server.js";
import { CancelledError } from "../core/errors.js";
import { EmbeddingClient } from "../llm/embeddings.js";
import { startRetrievalServer } from "../serve/retrieval-server.js";
import { CorpusSearchProvider } from "../tools/search/corpus-provider.js";
import { buildCorpus } from "./build.js";
import { DenseIndex } from "./dense-index.js";
import { embedCorpus } from "./embed.js";
import { reciprocalRankFusion, weightedFusion } from "./fusion.js";
import { openCorpus } from "./sqlite-corpus.js";
import type { SearchHit } from "./types.js";

let home: string;
let server: EmbeddingServer;
const settings = () => ({ baseUrl: server.baseUrl, model: "fixture", prefix: "e5" as const, normalize: true });

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "drkit-dense-"));
  await buildCorpus({ name: "hotpotqa", from: ["data/hotpotqa/corpus.jsonl"], home, quiet: true });
  await buildCorpus({ name: "plain", from: ["data/hotpotqa/corpus.jsonl"], home, quiet: true });
  server = await startEmbeddingServer({ failFirst: 1 });
}, 60_000);
afterAll(async () => {
  await server.close();
  rmSync(home, { recursive: true, force: true });
});

const hit = (id: string, score: number): SearchHit => ({ passage: { id, title: id, text: "" }, score });

describe("fusion", () => {
  it("reciprocal-rank fusion adds 1/(60 + rank) over the lists", () => {
    const fused = reciprocalRankFusion(
      [
        [hit("a", 9), hit("b", 5)],
        [hit("b", 0.9), hit("c", 0.8)],
      ],
      3,
    );
    expect(fused.map((entry) => entry.passage.id)).toEqual(["b", "a", "c"]);
    expect(fused[0]?.score).toBeCloseTo(1 / 62 + 1 / 61, 12);
  });
  it("weighted fusion scales each list to [0, 1] first", () => {
    const fused = weightedFusion([hit("a", 10), hit("b", 0)], [hit("b", 0.9), hit("a", 0.1)], 0.25, 2);
    expect(fused.map((entry) => [entry.passage.id, entry.score])).toEqual([
      ["b", 0.75],
      ["a", 0.25],
    ]);
  });
});

describe("dense retrieval over the bundled HotpotQA corpus (fixture embedder)", () => {
  it("embeds resumably: a cancelled run continues after its last batch, nothing duplicated", async () => {
    const client = new EmbeddingClient(settings());
    const controller = new AbortController();
    let batches = 0;
    const counting = {
      embedPassages: async (texts: readonly string[], signal?: AbortSignal) => {
        const result = await client.embedPassages(texts, signal);
        if (++batches === 6) controller.abort(); // as Ctrl-C would, while batch 6 is being stored
        return result;
      },
      embedQueries: (texts: readonly string[], signal?: AbortSignal) => client.embedQueries(texts, signal),
    } as unknown as EmbeddingClient;
    const cancelled = await embedCorpus("hotpotqa", {
      home,
      client: counting,
      settings: settings(),
      batchSize: 256,
      quiet: true,
      signal: controller.signal,
    }).catch((error) => error);
    expect(cancelled).toBeInstanceOf(CancelledError);
    const partial = await DenseIndex.open(join(home, "corpora", "hotpotqa"));
    const stored = await partial.rows();
    partial.close();
    expect(stored).toBe(6 * 256);
    const manifest = await embedCorpus("hotpotqa", {
      home,
      client,
      settings: settings(),
      batchSize: 256,
      defaultMode: "hybrid",
      quiet: true,
    });
    expect(manifest.dense?.rows).toBe(3957);
    expect(manifest.dense?.dimensions).toBe(128);
    // The first request got a 429 and was retried; the e5 passage prefix was sent.
    expect(server.inputs.some((text) => text.startsWith("passage: "))).toBe(true);
    expect(manifest.dense?.ann).toBe("ivf-hnsw-sq");
    expect(manifest.dense?.recallAt10).toBeGreaterThanOrEqual(0.95);
    expect(manifest.dense?.defaultMode).toBe("hybrid");
  }, 120_000);

  it("dense finds a passage from its own words; hybrid fuses BM25 and dense by reciprocal rank", async () => {
    const corpus = openCorpus("hotpotqa", { home });
    try {
      expect(corpus.defaultMode).toBe("hybrid");
      const query = "Scott Derrickson American director screenwriter producer Deliver Us from Evil";
      const [dense = []] = await corpus.search([query], 5, { mode: "dense" });
      expect(dense[0]?.passage.title).toBe("Scott Derrickson");
      expect(dense[0]?.score).toBeGreaterThan(dense[1]?.score ?? 1);
      const [bm25 = []] = await corpus.search([query], 50, { mode: "bm25" });
      const [dense50 = []] = await corpus.search([query], 50, { mode: "dense" });
      const [hybrid = []] = await corpus.search([query], 5);
      expect(hybrid.map((entry) => entry.passage.id)).toEqual(
        reciprocalRankFusion([bm25, dense50], 5).map((entry) => entry.passage.id),
      );
      // The agent's corpus search provider searches in the mode it is given.
      const [viaProvider = []] = await new CorpusSearchProvider(corpus, "dense").search([query], { topk: 5 });
      expect(viaProvider.map((result) => result.id)).toEqual(dense.map((entry) => entry.passage.id));
    } finally {
      corpus.close();
    }
  });

  it("/retrieve takes an optional mode; dense on a corpus without embeddings is a 400 that says what to run", async () => {
    const corpus = openCorpus("hotpotqa", { home });
    const plain = openCorpus("plain", { home });
    const retrieval = await startRetrievalServer(corpus, { port: 0 });
    const plainServer = await startRetrievalServer(plain, { port: 0 });
    try {
      const post = (url: string, body: unknown) =>
        fetch(`${url}/retrieve`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
      const reply = await post(retrieval.url, {
        queries: ["Ed Wood filmmaker"],
        topk: 3,
        return_scores: true,
        mode: "dense",
      });
      expect(reply.status).toBe(200);
      const result = ((await reply.json()) as { result: { document: { id: string } }[][] }).result;
      const [expected = []] = await corpus.search(["Ed Wood filmmaker"], 3, { mode: "dense" });
      expect(result[0]?.map((entry) => entry.document.id)).toEqual(expected.map((entry) => entry.passage.id));
      const refused = await post(plainServer.url, { queries: ["Ed Wood"], mode: "dense" });
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: string }).error).toContain("drkit corpus embed plain");
      const bad = await post(retrieval.url, { queries: ["Ed Wood"], mode: "semantic" });
      expect(bad.status).toBe(400);
    } finally {
      await retrieval.close();
      await plainServer.close();
      corpus.close();
      plain.close();
    }
  });
});
