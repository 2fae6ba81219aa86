import { mkdtempSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCorpus } from "../corpus/build.js";
import { openCorpus, type SqliteCorpus } from "../corpus/sqlite-corpus.js";
import { type ListeningServer, startJsonServer } from "./http.js";
import { hostName } from "./request-guard.js";
import { startRetrievalServer } from "./retrieval-server.js";
import { startRewardServer } from "./reward-server.js";

let home: string;
let corpus: SqliteCorpus;
let retrieval: ListeningServer;
let open: ListeningServer;
let reward: ListeningServer;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "drkit-guard-"));
  await buildCorpus({ name: "hotpotqa", from: ["data/hotpotqa/corpus.jsonl"], home, quiet: true });
  corpus = openCorpus("hotpotqa", { home });
  retrieval = await startRetrievalServer(corpus, { port: 0 });
  open = await startRetrievalServer(corpus, {
    port: 0,
    guard: { allowedHosts: ["drkit.internal"], allowedOrigins: ["http://localhost:3000"] },
  });
  reward = await startRewardServer({ port: 0 });
});
afterAll(async () => {
  await Promise.all([retrieval.close(), open.close(), reward.close()]);
  corpus.close();
  rmSync(home, { recursive: true, force: true });
});

/** A raw request, so Host and Origin are exactly what a browser on another site would send. */
function send(
  server: ListeningServer,
  options: { path?: string; method?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: "127.0.0.1",
        port: server.port,
        path: options.path ?? "/retrieve",
        method: options.method ?? "POST",
        headers: { "content-type": "application/json", ...options.headers },
      },
      (response) => {
        let body = "";
        response.on("data", (chunk) => {
          body += chunk;
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      },
    );
    request.on("error", reject);
    request.end(options.body ?? JSON.stringify({ queries: ["Ed Wood"], topk: 1 }));
  });
}

describe("Host and Origin checks on local servers", () => {
  it("answers loopback Hosts and refuses a DNS-rebound name with 403 JSON", async () => {
    for (const host of [`127.0.0.1:${retrieval.port}`, `localhost:${retrieval.port}`, `[::1]:${retrieval.port}`])
      expect((await send(retrieval, { headers: { host } })).status, host).toBe(200);
    const rebound = await send(retrieval, { headers: { host: `attacker.example:${retrieval.port}` } });
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body).error).toContain('Host "attacker.example');
    expect(JSON.parse(rebound.body).error).toContain("--allow-host attacker.example");
    expect((await send(open, { headers: { host: "drkit.internal:80" } })).status).toBe(200);
  });

  it("refuses browser requests from other origins, also text/plain POSTs to the reward server", async () => {
    const crossSite = await send(retrieval, { headers: { origin: "http://attacker.example" } });
    expect(crossSite.status).toBe(403);
    expect(JSON.parse(crossSite.body).error).toBe(
      "cross-origin request from http://attacker.example refused: start the server with --allow-origin http://attacker.example to let that page call it",
    );
    const plain = await send(reward, {
      path: "/get_reward",
      headers: { origin: "http://attacker.example", "content-type": "text/plain" },
      body: JSON.stringify({ query: ["<answer>x</answer>"], labels: ["x"] }),
    });
    expect(plain.status).toBe(403);
    // Same-origin pages and clients that send no Origin (Python trainers, curl) pass.
    expect((await send(retrieval, { headers: { origin: `http://127.0.0.1:${retrieval.port}` } })).status).toBe(200);
    const trainer = await send(reward, {
      path: "/compute_score",
      body: JSON.stringify({ data_source: "nq", solution_str: "<answer>x</answer>", ground_truth: { target: ["x"] } }),
    });
    expect(JSON.parse(trainer.body).score).toBe(1);
  });

  it("an allowed origin gets CORS headers and its preflight a 204", async () => {
    const allowed = await send(open, { headers: { origin: "http://localhost:3000" } });
    expect(allowed.status).toBe(200);
    expect(allowed.headers["access-control-allow-origin"]).toBe("http://localhost:3000");
    const preflight = await send(open, { method: "OPTIONS", headers: { origin: "http://localhost:3000" }, body: "" });
    expect(preflight.status).toBe(204);
    expect(preflight.headers["access-control-allow-methods"]).toBe("GET, POST, OPTIONS");
    expect((await send(open, { headers: { origin: "http://localhost:4000" } })).status).toBe(403);
  });

  it("reads host names with ports and IPv6 brackets", () => {
    expect(hostName("LocalHost:8000")).toBe("localhost");
    expect(hostName("[::1]:8000")).toBe("::1");
    expect(hostName("127.0.0.1")).toBe("127.0.0.1");
  });
});

describe("bounded replies and connections", () => {
  it("streams a reply across chunks that equals the library's ranking", async () => {
    const queries = Array.from({ length: 150 }, (_, index) => `film director ${index}`);
    const reply = await send(retrieval, { body: JSON.stringify({ queries, topk: 2, return_scores: true }) });
    expect(reply.status).toBe(200);
    expect(reply.headers["transfer-encoding"]).toBe("chunked");
    const result = JSON.parse(reply.body).result as { document: { id: string }; score: number }[][];
    const direct = await corpus.search(queries, 2);
    expect(result.map((list) => list.map((item) => item.document.id))).toEqual(
      direct.map((hits) => hits.map((hit) => hit.passage.id)),
    );
    expect(result.map((list) => list.map((item) => item.score))).toEqual(
      direct.map((hits) => hits.map((hit) => hit.score)),
    );
  });

  it("closes a connection that sends nothing for the idle timeout", async () => {
    const server = await startJsonServer({
      host: "127.0.0.1",
      port: 0,
      idleTimeoutMs: 200,
      handle: async () => ({ body: {}, count: 0 }),
    });
    const socket = connect(server.port, "127.0.0.1");
    const started = performance.now();
    await new Promise<void>((resolve) => socket.on("close", () => resolve()));
    expect(performance.now() - started).toBeLessThan(5_000);
    await server.close();
  });
});
