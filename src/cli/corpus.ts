/** `drkit corpus build|index|search|stats|list`: offline passage corpora (SQLite store + LanceDB BM25 index). */
import type { Command } from "commander";
import { InputError } from "../core/errors.js";
import { buildCorpus } from "../corpus/build.js";
import { embedCorpus } from "../corpus/embed.js";
import { CORPUS_FORMATS, type CorpusFormatOption } from "../corpus/formats.js";
import { indexCorpus } from "../corpus/search-index.js";
import { openCorpus } from "../corpus/sqlite-corpus.js";
import { listCorpora } from "../corpus/store-layout.js";
import { SEARCH_MODES, type SearchMode } from "../corpus/types.js";
import { EmbeddingClient } from "../llm/embeddings.js";
import {
  addSearchEngineOptions,
  configFrom,
  integerOption,
  numberOption,
  positiveIntegerOption,
  printJson,
  searchEngineFrom,
} from "./context.js";

/** A `--mode` value, checked (undefined: the corpus's default). */
export function searchMode(value: string | undefined): SearchMode | undefined {
  if (value === undefined) return undefined;
  if (!(SEARCH_MODES as readonly string[]).includes(value))
    throw new InputError(`--mode must be one of ${SEARCH_MODES.join(", ")}, got "${value}"`);
  return value as SearchMode;
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function registerCorpusCommand(program: Command): void {
  const corpus = program.command("corpus").description("Build and query offline passage corpora (SQLite FTS5 BM25)");

  corpus
    .command("build")
    .description("Ingest passages from files into $DRKIT_HOME/corpora/<name> (replaces it atomically)")
    .argument("<name>", "corpus name (letters, digits, . _ -)")
    .requiredOption("--from <files...>", "source files (JSONL or JSON list)")
    .option("--format <format>", `source format: auto, ${CORPUS_FORMATS.join(", ")}`, "auto")
    .option("--title-weight <weight>", "BM25 weight of titles relative to text", numberOption("title-weight"), 2)
    .option("--no-index", "skip the search index (searches then use SQLite FTS5, exact and slow on large corpora)")
    .option("--quiet", "no progress output")
    .option("--json", "print the manifest as JSON")
    .action(
      async (
        name: string,
        options: {
          from: string[];
          format: string;
          titleWeight: number;
          index: boolean;
          quiet?: boolean;
          json?: boolean;
        },
        command: Command,
      ) => {
        const config = configFrom(command);
        if (options.format !== "auto" && !(CORPUS_FORMATS as readonly string[]).includes(options.format)) {
          throw new InputError(`unknown --format "${options.format}": use auto, ${CORPUS_FORMATS.join(", ")}`);
        }
        const controller = new AbortController();
        const onSignal = () => controller.abort();
        process.once("SIGINT", onSignal);
        process.once("SIGTERM", onSignal);
        try {
          const { manifest, directory } = await buildCorpus({
            name,
            from: options.from,
            format: options.format as CorpusFormatOption,
            home: config.home,
            titleWeight: options.titleWeight,
            quiet: options.quiet,
            signal: controller.signal,
            searchIndex: options.index,
          });
          if (options.json) {
            printJson(manifest);
            return;
          }
          const { counts } = manifest;
          process.stdout.write(
            `built corpus "${name}" in ${directory}\n` +
              `  passages ${counts.passages}  titles ${counts.titles}  records ${counts.records}  ` +
              `duplicates skipped ${counts.duplicates}  empty skipped ${counts.empty}\n` +
              `  ${manifest.sources.map((source) => `${source.file} (${source.format}: ${source.passages})`).join("\n  ")}\n` +
              `  ${(counts.passages / Math.max(manifest.buildSeconds, 1e-3)).toFixed(0)} passages/s, ` +
              `${(manifest.bytes / 1e6).toFixed(1)} MB\n` +
              (manifest.searchIndex
                ? `  search index ${manifest.searchIndex.folder} (${manifest.searchIndex.seconds.toFixed(1)} s)\n`
                : "  no search index (--no-index): searches use SQLite FTS5\n"),
          );
        } finally {
          process.removeListener("SIGINT", onSignal);
          process.removeListener("SIGTERM", onSignal);
        }
      },
    );

  corpus
    .command("index")
    .description("Add or rebuild the search index of a built corpus (corpora built before it existed, or --no-index)")
    .argument("<name>", "corpus name")
    .option("--quiet", "no progress output")
    .action(async (name: string, options: { quiet?: boolean }, command: Command) => {
      const config = configFrom(command);
      const manifest = await indexCorpus(name, { home: config.home, quiet: options.quiet });
      const index = manifest.searchIndex;
      process.stdout.write(
        `indexed corpus "${name}": ${manifest.counts.passages} passages in ${index?.seconds.toFixed(1)} s (${index?.folder})\n`,
      );
    });

  corpus
    .command("embed")
    .description(
      "Embed every passage with an OpenAI-compatible /v1/embeddings server for dense and hybrid search (resumable)",
    )
    .argument("<name>", "corpus name")
    .requiredOption("--base-url <url>", "embeddings server, ending in /v1 (TEI, vLLM, Infinity, Ollama, OpenAI)")
    .requiredOption("--model <name>", "embedding model name")
    .option("--prefix <style>", "e5 (query: / passage: prefixes) or none", "none")
    .option("--no-normalize", "keep the server's vector lengths (default: unit length, cosine similarity)")
    .option("--batch-size <n>", "passages per request", positiveIntegerOption("batch-size"), 64)
    .option("--default-mode <mode>", `the corpus's search mode afterwards: ${SEARCH_MODES.join(", ")}`)
    .option("--quiet", "no progress output")
    .action(
      async (
        name: string,
        options: {
          baseUrl: string;
          model: string;
          prefix: string;
          normalize: boolean;
          batchSize: number;
          defaultMode?: string;
          quiet?: boolean;
        },
        command: Command,
      ) => {
        const config = configFrom(command);
        if (options.prefix !== "e5" && options.prefix !== "none")
          throw new InputError(`--prefix must be e5 or none, got "${options.prefix}"`);
        if (options.defaultMode !== undefined && !(SEARCH_MODES as readonly string[]).includes(options.defaultMode))
          throw new InputError(`--default-mode must be one of ${SEARCH_MODES.join(", ")}`);
        const settings = {
          baseUrl: options.baseUrl,
          model: options.model,
          prefix: options.prefix as "e5" | "none",
          normalize: options.normalize,
        };
        const apiKey = process.env.DRKIT_EMBEDDING_API_KEY;
        const controller = new AbortController();
        const onSignal = () => controller.abort();
        process.once("SIGINT", onSignal);
        try {
          const manifest = await embedCorpus(name, {
            home: config.home,
            client: new EmbeddingClient({ ...settings, ...(apiKey ? { apiKey } : {}) }),
            settings,
            batchSize: options.batchSize,
            ...(options.defaultMode ? { defaultMode: options.defaultMode as SearchMode } : {}),
            quiet: options.quiet,
            signal: controller.signal,
          });
          const dense = manifest.dense;
          process.stdout.write(
            `embedded corpus "${name}": ${dense?.rows} passages, ${dense?.dimensions} dimensions, ${dense?.tokens} tokens\n` +
              `  ANN index: ${dense?.ann}; recall@10 against brute force ${dense?.recallAt10.toFixed(3)}; default mode ${dense?.defaultMode}\n`,
          );
        } finally {
          process.removeListener("SIGINT", onSignal);
        }
      },
    );

  const search = corpus
    .command("search")
    .description("BM25 search of a corpus")
    .argument("<name>", "corpus name")
    .argument("<query...>", "query text")
    .option("--topk <k>", "results per query", integerOption("topk"), 10)
    .option("--mode <mode>", `bm25, dense or hybrid (default: the corpus's)`)
    .option("--explain", "print the engine, and for FTS5 which query terms were kept and which were pruned")
    .option("--json", "print hits as JSON");
  addSearchEngineOptions(search).action(
    async (
      name: string,
      queryWords: string[],
      options: {
        topk: number;
        engine: string;
        maxPostings?: number;
        mode?: string;
        explain?: boolean;
        json?: boolean;
      },
      command: Command,
    ) => {
      const config = configFrom(command);
      if (options.topk < 1) throw new InputError("--topk must be at least 1");
      const store = openCorpus(name, { home: config.home, ...searchEngineFrom(options) });
      try {
        const query = queryWords.join(" ");
        const [hits = []] = await store.search([query], options.topk, { mode: searchMode(options.mode) });
        if (options.explain) {
          const plan = store.explain(query);
          process.stderr.write(
            store.engine === "lance"
              ? "engine: lance (BM25 over title and text, block-max WAND)\n"
              : `engine: fts5; terms kept: ${plan.kept.join(" ") || "(none)"}; pruned: ${plan.pruned.join(" ") || "(none)"}\n`,
          );
        }
        if (options.json) {
          printJson(hits);
          return;
        }
        if (hits.length === 0) process.stdout.write("no results\n");
        hits.forEach((hit, index) => {
          process.stdout.write(
            `${index + 1}. [${hit.score.toFixed(3)}] ${hit.passage.title}  (${hit.passage.id})\n   ${oneLine(hit.passage.text, 200)}\n`,
          );
        });
      } finally {
        store.close();
      }
    },
  );

  corpus
    .command("stats")
    .description("Counts, size and sources of a corpus")
    .argument("<name>", "corpus name")
    .option("--json", "print the full manifest as JSON")
    .action((name: string, options: { json?: boolean }, command: Command) => {
      const config = configFrom(command);
      const store = openCorpus(name, { home: config.home });
      try {
        const manifest = store.manifest();
        const stats = store.stats();
        if (options.json) {
          printJson({ ...manifest, bytes: stats.bytes, file: store.file });
          return;
        }
        process.stdout.write(
          `corpus ${name} (${store.file})\n` +
            `  passages   ${stats.passages}\n  titles     ${stats.titles}\n` +
            `  size       ${(stats.bytes / 1e6).toFixed(1)} MB\n  built      ${stats.builtAt}\n` +
            `  duplicates ${manifest.counts.duplicates} skipped\n` +
            `  search     ${manifest.searchIndex ? `index ${manifest.searchIndex.folder}` : "SQLite FTS5 (no index: drkit corpus index adds one)"}\n  sources\n` +
            manifest.sources
              .map(
                (source) => `    ${source.file} (${source.format}, ${source.records} records → ${source.passages})\n`,
              )
              .join(""),
        );
      } finally {
        store.close();
      }
    });

  corpus
    .command("list")
    .description("Corpora under $DRKIT_HOME/corpora")
    .option("--json", "print manifests as JSON")
    .action((options: { json?: boolean }, command: Command) => {
      const config = configFrom(command);
      const corpora = listCorpora(config.home);
      if (options.json) {
        printJson(corpora);
        return;
      }
      if (corpora.length === 0) {
        process.stdout.write(
          `no corpora in ${config.home}/corpora; build one with: drkit corpus build <name> --from <file>\n`,
        );
        return;
      }
      for (const manifest of corpora) {
        process.stdout.write(
          `${manifest.name.padEnd(24)} ${String(manifest.counts.passages).padStart(10)} passages  ${manifest.format.padEnd(8)} built ${manifest.builtAt}\n`,
        );
      }
    });
}
