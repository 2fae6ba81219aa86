/** `drkit serve retrieval`: the Search-R1 / verl `/retrieve` HTTP contract over a local corpus. */
import type { Command } from "commander";
import { InputError } from "../core/errors.js";
import { openCorpus } from "../corpus/sqlite-corpus.js";
import { startRetrievalServer } from "../serve/retrieval-server.js";
import { configFrom, integerOption } from "./context.js";

interface ServeRetrievalOptions {
  corpus?: string;
  host: string;
  port: number;
  topk: number;
  maxTopk: number;
  maxQueries: number;
  maxBodyMb: number;
  log?: boolean;
}

export function registerServeCommand(program: Command): void {
  const serve = program.command("serve").description("Run HTTP services for GPU trainers and agents");

  serve
    .command("retrieval")
    .description("POST /retrieve {queries, topk, return_scores} over a built corpus (Search-R1 / verl contract)")
    .option("--corpus <name>", "corpus to serve (default: config search.corpus)")
    .option("--host <host>", "interface to bind (0.0.0.0 to accept other machines)", "127.0.0.1")
    .option("--port <port>", "port", integerOption("port"), 8000)
    .option("--topk <k>", "results per query when a request sends topk null or 0", integerOption("topk"), 3)
    .option("--max-topk <k>", "largest topk a request may ask for", integerOption("max-topk"), 100)
    .option("--max-queries <n>", "most queries per request", integerOption("max-queries"), 1024)
    .option("--max-body-mb <mb>", "largest request body in MiB", integerOption("max-body-mb"), 4)
    .option("--log", "log one line per request to stderr")
    .action(async (options: ServeRetrievalOptions, command: Command) => {
      const config = configFrom(command);
      const name = options.corpus ?? config.search.corpus;
      if (!name) throw new InputError("no corpus: pass --corpus <name> (see drkit corpus list)");
      if (options.port < 0 || options.port > 65535) throw new InputError("--port must be between 0 and 65535");
      if (options.maxTopk < 1 || options.topk < 1 || options.topk > options.maxTopk) {
        throw new InputError("--topk must be at least 1 and at most --max-topk");
      }
      if (options.maxQueries < 1 || options.maxBodyMb < 1) {
        throw new InputError("--max-queries and --max-body-mb must be at least 1");
      }
      const corpus = openCorpus(name, { home: config.home });
      let server: Awaited<ReturnType<typeof startRetrievalServer>>;
      try {
        server = await startRetrievalServer(corpus, {
          host: options.host,
          port: options.port,
          topk: options.topk,
          maxTopk: options.maxTopk,
          maxQueries: options.maxQueries,
          maxBodyBytes: options.maxBodyMb * 1024 * 1024,
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
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "EADDRINUSE") throw new InputError(`port ${options.port} is in use: pass another --port`);
        throw error;
      }
      process.stderr.write(
        `serving corpus "${name}" (${corpus.stats().passages} passages) at ${server.url}/retrieve (topk ${options.topk}); Ctrl-C stops\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.removeListener("SIGINT", stop);
          process.removeListener("SIGTERM", stop);
          process.stderr.write("shutting down\n");
          void server.close().then(() => {
            corpus.close();
            resolve();
          });
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
    });
}
