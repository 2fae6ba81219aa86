/**
 * Amplification bench for `drkit serve retrieval`: the largest request the limits allow (queries × topk at
 * --max-results) sent by 8 clients at once, first read normally, then by clients that never read their reply.
 * The real CLI server runs as a child process over the HotpotQA corpus of data/; its RSS comes from /proc.
 *
 * Printed: reply size, server RSS at rest (the anchor), the peak while 8 replies are in flight (read, then
 * unread), and RSS 5 s after the unread clients are gone. The reply is streamed a batch of 64 queries at a time
 * and waits for the socket to drain, so an unread reply holds one batch plus the socket buffers, not the reply.
 *
 *   npx tsx bench/retrieve-amplification.ts [--clients 8]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildCorpus } from "../src/corpus/build.js";

const { values } = parseArgs({ options: { clients: { type: "string", default: "8" } } });
const clients = Number(values.clients);
const TOPK = 100;
const QUERIES = Math.floor(32_768 / TOPK); // the default --max-results
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(match?.[1] ?? 0) / 1024;
}

async function startServer(home: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "src/cli/run.ts", "--home", home, "serve", "retrieval", "--corpus", "hotpotqa", "--port", "0"],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let text = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      text += chunk;
      const match = /at http:\/\/127\.0\.0\.1:(\d+)\/retrieve/.exec(text);
      if (match) resolve(Number(match[1]));
    });
    child.on("exit", (code) => reject(new Error(`server exited (${code}): ${text}`)));
  });
  return { child, port };
}

const body = JSON.stringify({
  queries: Array.from({ length: QUERIES }, (_, index) => `film director born ${1900 + index}`),
  topk: TOPK,
  return_scores: true,
});

/** One request; `read` false pauses the reply stream after the first bytes and never resumes it. */
function post(port: number, read: boolean): Promise<{ bytes: number; abort: () => void }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: "127.0.0.1", port, path: "/retrieve", method: "POST", headers: { "content-type": "application/json" } },
      (response) => {
        let bytes = 0;
        if (!read) {
          response.pause();
          resolve({ bytes: 0, abort: () => request.destroy() });
          return;
        }
        response.on("data", (chunk: Buffer) => {
          bytes += chunk.length;
        });
        response.on("end", () => resolve({ bytes, abort: () => {} }));
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

async function peakWhile(pid: number, work: Promise<unknown>): Promise<number> {
  let peak = rssMiB(pid);
  let done = false;
  void work.finally(() => {
    done = true;
  });
  while (!done) {
    peak = Math.max(peak, rssMiB(pid));
    await sleep(20);
  }
  return Math.max(peak, rssMiB(pid));
}

const home = mkdtempSync(join(tmpdir(), "drkit-bench-amplification-"));
let server: { child: ChildProcess; port: number } | undefined;
try {
  await buildCorpus({ name: "hotpotqa", from: ["data/hotpotqa/corpus.jsonl"], home, quiet: true });
  server = await startServer(home);
  const pid = server.child.pid as number;
  const port = server.port;
  await post(port, true); // warm up: caches, JIT
  await sleep(1000);
  const rest = rssMiB(pid);
  const reading = Promise.all(Array.from({ length: clients }, () => post(port, true)));
  const readPeak = await peakWhile(pid, reading);
  const replyBytes = (await reading)[0]?.bytes ?? 0;
  const unread = Promise.all(Array.from({ length: clients }, () => post(port, false)));
  const stalled = await unread;
  const unreadPeak = await peakWhile(pid, sleep(3000));
  for (const client of stalled) client.abort();
  await sleep(5000);
  const after = rssMiB(pid);
  process.stdout.write(
    `| request | reply | clients | RSS at rest (anchor) | peak, replies read | peak, replies unread 3 s | 5 s after |\n` +
      `|---|---:|---:|---:|---:|---:|---:|\n` +
      `| ${QUERIES} queries × topk ${TOPK} | ${(replyBytes / 1024 / 1024).toFixed(1)} MiB | ${clients} | ${rest.toFixed(0)} MiB | ` +
      `${readPeak.toFixed(0)} MiB (${(readPeak / rest).toFixed(2)}×) | ${unreadPeak.toFixed(0)} MiB (${(unreadPeak / rest).toFixed(2)}×) | ` +
      `${after.toFixed(0)} MiB (${(after / rest).toFixed(2)}×) |\n`,
  );
} finally {
  server?.child.kill("SIGTERM");
  rmSync(home, { recursive: true, force: true });
}
