/**
 * Load bench for `drkit serve retrieval`: the real CLI server (child process) over the HotpotQA corpus of
 * data/, driven by autocannon over loopback for a bounded duration. Scenarios:
 *   - GET /health (anchor: the HTTP stack without search),
 *   - POST /retrieve with one HotpotQA question per request (topk 3, return_scores true, as verl sends),
 *   - POST /retrieve with 32 questions per request (batched rollouts).
 * Targets: ≥ 1,000 req/s single query, p99 < 50 ms, 0 errors.
 *
 * Also printed per scenario: the CPU time of the server processes and of autocannon per request (Linux /proc),
 * so the cost of a request can be told apart from the machine's load; `req/s per server CPU-s` is the rate one
 * dedicated core would sustain. `--cache N` passes `--cache N` to the server (default 0: every query is scored;
 * the 400 questions repeat, so with a cache the figures measure cache hits).
 *
 * `--passages N` (N > 3,957) serves the needle-in-a-haystack corpus of bench/retrieval-needle.ts instead: the
 * HotpotQA passages among synthetic distractors, N in all (e.g. 1,000,000), searched with the corpus's index.
 *
 *   npx tsx bench/retrieve-load.ts [--duration 10] [--connections 16] [--workers 2] [--cache 0] [--passages N]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
// @ts-expect-error autocannon ships no type declarations
import autocannon from "autocannon";
import { buildCorpus } from "../src/corpus/build.js";
import { hotpotQuestions, writeNeedleCorpus } from "./corpus-synthetic.js";

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "16" },
    workers: { type: "string", default: String(Math.min(4, availableParallelism())) },
    cache: { type: "string", default: "0" },
    passages: { type: "string", default: "0" },
  },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const workers = Number(values.workers);
const cache = Number(values.cache);

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}

interface RequestSetup {
  method?: string;
  path?: string;
  body?: string;
  headers?: Record<string, string>;
}

function run(options: Record<string, unknown>): Promise<AutocannonResult> {
  return new Promise((resolve, reject) => {
    (autocannon as (options: unknown, done: (error: Error | null, result: AutocannonResult) => void) => void)(
      options,
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
}

/** CPU seconds (user + system) used so far by a process and its live descendants (Linux /proc; 0 elsewhere). */
function processTreeCpuSeconds(rootPid: number): number {
  const parents = new Map<number, number>();
  const ticks = new Map<number, number>();
  let entries: string[] = [];
  try {
    entries = readdirSync("/proc").filter((entry) => /^\d+$/.test(entry));
  } catch {
    return 0;
  }
  for (const entry of entries) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parents.set(Number(entry), Number(fields[1]));
      ticks.set(Number(entry), Number(fields[11]) + Number(fields[12]));
    } catch {
      // the process exited meanwhile
    }
  }
  let total = 0;
  for (const [pid, tick] of ticks) {
    let cursor: number | undefined = pid;
    while (cursor !== undefined && cursor > 1 && cursor !== rootPid) cursor = parents.get(cursor);
    if (cursor === rootPid) total += tick;
  }
  return total / 100; // USER_HZ is 100 on Linux
}

async function startServer(home: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "src/cli/run.ts",
      "--home",
      home,
      "serve",
      "retrieval",
      "--corpus",
      "hotpotqa",
      "--port",
      "0",
      "--max-queries",
      "64",
      "--workers",
      String(workers),
      "--cache",
      String(cache),
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let text = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      const match = /at (http:\/\/[^\s]+)\/retrieve/.exec(text);
      if (match?.[1]) resolve(match[1]);
    });
    child.once("exit", (code) => reject(new Error(`server exited with ${code}: ${text}`)));
  });
  return { child, url };
}

const home = mkdtempSync(join(tmpdir(), "drkit-retrieve-load-"));
const questions = hotpotQuestions();
let server: { child: ChildProcess; url: string } | undefined;
try {
  const passages = Number(values.passages);
  let source = "data/hotpotqa/corpus.jsonl";
  if (passages > 3957) {
    source = join(home, "needle.jsonl");
    await writeNeedleCorpus(source, passages);
  }
  await buildCorpus({ name: "hotpotqa", from: [source], home, quiet: true });
  process.stdout.write(`corpus: ${Math.max(passages, 3957)} passages\n`);
  server = await startServer(home);
  const { url } = server;
  let cursor = 0;
  const nextQuestion = () => questions[cursor++ % questions.length] ?? "";
  const scenarios: { name: string; options: Record<string, unknown>; queriesPerRequest: number }[] = [
    { name: "GET /health (anchor)", options: { url: `${url}/health` }, queriesPerRequest: 0 },
    {
      name: "POST /retrieve, 1 query, topk 3",
      queriesPerRequest: 1,
      options: {
        url: `${url}/retrieve`,
        requests: [
          {
            method: "POST",
            headers: { "content-type": "application/json" },
            setupRequest: (request: RequestSetup) => ({
              ...request,
              body: JSON.stringify({ queries: [nextQuestion()], topk: 3, return_scores: true }),
            }),
          },
        ],
      },
    },
    {
      name: "POST /retrieve, 32 queries, topk 3",
      queriesPerRequest: 32,
      options: {
        url: `${url}/retrieve`,
        requests: [
          {
            method: "POST",
            headers: { "content-type": "application/json" },
            setupRequest: (request: RequestSetup) => ({
              ...request,
              body: JSON.stringify({
                queries: Array.from({ length: 32 }, nextQuestion),
                topk: 3,
                return_scores: true,
              }),
            }),
          },
        ],
      },
    },
  ];
  console.log(
    `retrieve-load: ${questions.length} HotpotQA questions over a ${Math.max(passages, 3957)}-passage corpus (engine: its search index); ${connections} connections, ${duration} s per scenario, ${workers} server worker(s), server cache ${cache}, loopback, ${availableParallelism()} CPUs shared with autocannon`,
  );
  const results: {
    name: string;
    result: AutocannonResult;
    queriesPerRequest: number;
    serverCpuMs: number;
    clientCpuMs: number;
    load: string;
  }[] = [];
  const serverPid = server.child.pid ?? 0;
  for (const scenario of scenarios) {
    // short warm-up, then the measured run
    await run({ ...scenario.options, connections, duration: 1 });
    const serverBefore = processTreeCpuSeconds(serverPid);
    const clientBefore = process.cpuUsage();
    const result = await run({ ...scenario.options, connections, duration });
    const client = process.cpuUsage(clientBefore);
    const requests = Math.max(1, result.requests.total);
    results.push({
      name: scenario.name,
      result,
      queriesPerRequest: scenario.queriesPerRequest,
      serverCpuMs: ((processTreeCpuSeconds(serverPid) - serverBefore) * 1000) / requests,
      clientCpuMs: (client.user + client.system) / 1000 / requests,
      load: loadavg()[0]?.toFixed(1) ?? "?",
    });
  }
  console.log(
    "\n| scenario | req/s | queries/s | latency p50 ms | latency p99 ms | errors | non-2xx | timeouts | server CPU ms/req | autocannon CPU ms/req | req/s per server CPU-s | load avg |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const { name, result, queriesPerRequest, serverCpuMs, clientCpuMs, load } of results) {
    console.log(
      `| ${name} | ${result.requests.average.toFixed(0)} | ${(result.requests.average * queriesPerRequest).toFixed(0)} | ${result.latency.p50} | ${result.latency.p99} | ${result.errors} | ${result.non2xx} | ${result.timeouts} | ${serverCpuMs.toFixed(3)} | ${clientCpuMs.toFixed(3)} | ${serverCpuMs > 0 ? (1000 / serverCpuMs).toFixed(0) : "—"} | ${load} |`,
    );
  }
  const anchor = results[0]?.result.requests.average ?? 1;
  const single = results[1]?.result;
  if (single) {
    console.log(`\nratio single-query /retrieve vs /health: ${(single.requests.average / anchor).toFixed(2)}x req/s`);
    const ok =
      single.requests.average >= 1000 &&
      single.latency.p99 < 50 &&
      single.errors + single.non2xx + single.timeouts === 0;
    console.log(`targets (≥ 1000 req/s, p99 < 50 ms, 0 errors): ${ok ? "met" : "NOT met on this machine"}`);
  }
} finally {
  server?.child.kill("SIGTERM");
  rmSync(home, { recursive: true, force: true });
}
