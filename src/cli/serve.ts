/**
 * `drkit serve retrieval`: the Search-R1 / verl `/retrieve` HTTP contract over a local corpus.
 * `drkit serve reward`: OpenRLHF `/get_reward` and verl `/compute_score` over a named rule-based reward.
 */
import cluster from "node:cluster";
import type { Command } from "commander";
import { InputError } from "../core/errors.js";
import { openCorpus } from "../corpus/sqlite-corpus.js";
import { startRetrievalServer } from "../serve/retrieval-server.js";
import {
  addRequestGuardOptions,
  addSearchEngineOptions,
  configFrom,
  integerOption,
  requestGuardFrom,
  searchEngineFrom,
} from "./context.js";
import { registerServeRewardCommand } from "./serve-reward.js";

interface ServeRetrievalOptions {
  corpus?: string;
  host: string;
  port: number;
  topk: number;
  maxTopk: number;
  maxQueries: number;
  maxResults: number;
  maxBodyMb: number;
  engine: string;
  maxPostings?: number;
  cache: number;
  workers: number;
  log?: boolean;
  allowHost?: string[];
  allowOrigin?: string[];
}

/**
 * Run `workers` copies of this command with node:cluster (they share the port); restart crashed ones. A worker that
 * exits before any has listened (a busy port, a bad corpus) has printed why: stop them all and resolve to its exit
 * code instead of restarting it forever.
 */
async function superviseWorkers(count: number): Promise<number> {
  let stopping = false;
  let listening = false;
  let failure = 0;
  const fork = () => cluster.fork({ DRKIT_SERVE_WORKER: "1" });
  const stopAll = () => {
    if (stopping) return;
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill("SIGTERM");
  };
  cluster.on("exit", (worker, code, signal) => {
    if (stopping) return;
    if (!listening) {
      failure = code || 1;
      stopAll();
      return;
    }
    process.stderr.write(`worker ${worker.process.pid} exited (${signal ?? code}); starting a new one\n`);
    fork();
  });
  cluster.on("listening", (_worker, address) => {
    if (listening) return;
    listening = true;
    // The others start once the first has bound the port, so a start-up failure is reported once.
    for (let index = 1; index < count; index++) fork();
    const host = address.address && address.address !== "::" ? address.address : "127.0.0.1";
    process.stderr.write(`${count} workers listening at http://${host}:${address.port}/retrieve\n`);
  });
  fork();
  await new Promise<void>((resolve) => {
    const stop = () => {
      if (!stopping) process.stderr.write("shutting down workers\n");
      stopAll();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    cluster.on("exit", () => {
      if (stopping && Object.keys(cluster.workers ?? {}).length === 0) {
        process.removeListener("SIGINT", stop);
        process.removeListener("SIGTERM", stop);
        resolve();
      }
    });
  });
  return failure;
}

export function registerServeCommand(program: Command): void {
  const serve = program.command("serve").description("Run HTTP services for GPU trainers and agents");

  const retrieval = serve
    .command("retrieval")
    .description("POST /retrieve {queries, topk, return_scores} over a built corpus (Search-R1 / verl contract)")
    .option("--corpus <name>", "corpus to serve (default: config search.corpus)")
    .option("--host <host>", "interface to bind (0.0.0.0 to accept other machines)", "127.0.0.1")
    .option("--port <port>", "port", integerOption("port"), 8000)
    .option("--topk <k>", "results per query when a request sends topk null or 0", integerOption("topk"), 3)
    .option("--max-topk <k>", "largest topk a request may ask for", integerOption("max-topk"), 100)
    .option(
      "--max-queries <n>",
      "most queries per request (Search-R1's GRPO sends 2,560)",
      integerOption("max-queries"),
      8192,
    )
    .option("--max-results <n>", "most results per request (queries × topk)", integerOption("max-results"), 32_768)
    .option("--max-body-mb <mb>", "largest request body in MiB", integerOption("max-body-mb"), 4)
    .option(
      "--cache <n>",
      "remember the results of this many recent distinct queries per worker (repeated queries skip BM25 scoring; 0 = off)",
      integerOption("cache"),
      0,
    )
    .option(
      "--workers <n>",
      "server processes sharing the port (node:cluster); use the CPU cores",
      integerOption("workers"),
      1,
    )
    .option("--log", "log one line per request to stderr");
  addSearchEngineOptions(addRequestGuardOptions(retrieval)).action(
    async (options: ServeRetrievalOptions, command: Command) => {
      const config = configFrom(command);
      const name = options.corpus ?? config.search.corpus;
      if (!name) throw new InputError("no corpus: pass --corpus <name> (see drkit corpus list)");
      if (options.port < 0 || options.port > 65535) throw new InputError("--port must be between 0 and 65535");
      if (options.maxTopk < 1 || options.topk < 1 || options.topk > options.maxTopk) {
        throw new InputError("--topk must be at least 1 and at most --max-topk");
      }
      if (options.maxQueries < 1 || options.maxBodyMb < 1 || options.maxResults < 1) {
        throw new InputError("--max-queries, --max-results and --max-body-mb must be at least 1");
      }
      if (options.workers < 1) throw new InputError("--workers must be at least 1");
      if (options.workers > 1 && cluster.isPrimary) {
        openCorpus(name, { home: config.home }).close(); // fail fast on a missing corpus
        const failure = await superviseWorkers(options.workers);
        if (failure !== 0) process.exitCode = failure;
        return;
      }
      if (options.cache < 0) throw new InputError("--cache must be 0 (off) or a positive number of queries");
      const corpus = openCorpus(name, { home: config.home, ...searchEngineFrom(options), cacheSize: options.cache });
      let server: Awaited<ReturnType<typeof startRetrievalServer>>;
      try {
        server = await startRetrievalServer(corpus, {
          host: options.host,
          port: options.port,
          topk: options.topk,
          maxTopk: options.maxTopk,
          maxQueries: options.maxQueries,
          maxResults: options.maxResults,
          maxBodyBytes: options.maxBodyMb * 1024 * 1024,
          guard: requestGuardFrom(options),
          ...(options.log
            ? {
                onRequest: (entry) =>
                  process.stderr.write(
                    `${new Date().toISOString()} ${entry.method} ${entry.path} ${entry.status} queries=${entry.queries} ${entry.ms.toFixed(1)}ms\n`,
                  ),
              }
            : {}),
        });
      } catch (error) {
        corpus.close();
        // a cluster worker's IPC channel would keep it alive, and its supervisor waiting
        if (cluster.isWorker) cluster.worker?.disconnect();
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "EADDRINUSE") throw new InputError(`port ${options.port} is in use: pass another --port`);
        throw error;
      }
      if (cluster.isPrimary)
        process.stderr.write(
          `serving corpus "${name}" (${corpus.stats().passages} passages, engine ${corpus.engine}) at ${server.url}/retrieve (topk ${options.topk}); Ctrl-C stops\n`,
        );
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.removeListener("SIGINT", stop);
          process.removeListener("SIGTERM", stop);
          process.stderr.write("shutting down\n");
          void server.close().then(() => {
            corpus.close();
            // a cluster worker's IPC channel would keep it alive
            if (cluster.isWorker) cluster.worker?.disconnect();
            resolve();
          });
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
    },
  );

  registerServeRewardCommand(serve);
}
