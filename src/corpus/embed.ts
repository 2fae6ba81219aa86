/**
 * `embedCorpus`: embed every passage of a corpus (title + text, the passage prefix of the model's convention) in
 * batches, append the vectors to the dense index, build its ANN index, measure the ANN's recall@10 against brute
 * force, and record the model and settings in the corpus manifest (so queries are embedded the same way).
 * A killed run restarts after the last stored batch.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { CancelledError, NotFoundError } from "../core/errors.js";
import { createProgress } from "../core/progress.js";
import { withoutCredentials } from "../core/redact.js";
import type { EmbeddingClient, EmbeddingOptions } from "../llm/embeddings.js";
import { DenseIndex } from "./dense-index.js";
import {
  type CorpusManifest,
  CorpusManifestSchema,
  corpusDirectory,
  corpusFile,
  MANIFEST_FILE,
} from "./store-layout.js";

export interface EmbedCorpusOptions {
  home?: string;
  client: EmbeddingClient;
  /** What the manifest records of the client (never the API key). */
  settings: Pick<EmbeddingOptions, "baseUrl" | "model" | "prefix" | "normalize">;
  /** Passages per request (default 64). */
  batchSize?: number;
  /** Queries sampled for the recall check (default 100). */
  recallQueries?: number;
  /** The corpus's default search mode after embedding (default: unchanged). */
  defaultMode?: "bm25" | "dense" | "hybrid";
  quiet?: boolean;
  signal?: AbortSignal;
}

type DenseEntry = NonNullable<CorpusManifest["dense"]>;

interface Row {
  rowid: number;
  title: string;
  text: string;
}

export async function embedCorpus(name: string, options: EmbedCorpusOptions): Promise<CorpusManifest> {
  const file = corpusFile(name, options.home);
  const directory = corpusDirectory(name, options.home);
  let database: Database.Database;
  try {
    database = new Database(file, { fileMustExist: true });
  } catch {
    throw new NotFoundError(
      `corpus "${name}" not found (${file}); build it with: drkit corpus build ${name} --from <file...>`,
    );
  }
  try {
    const manifest = CorpusManifestSchema.parse(
      JSON.parse(String(database.prepare("SELECT value FROM meta WHERE key = 'manifest'").pluck().get())),
    );
    const started = performance.now();
    const batchSize = Math.max(1, options.batchSize ?? 64);
    const total = manifest.counts.passages;
    let index = DenseIndex.exists(directory) ? await DenseIndex.open(directory) : undefined;
    const stored = index ? await index.rows() : 0;
    const after =
      stored === 0
        ? 0
        : (database
            .prepare("SELECT rowid FROM passages ORDER BY rowid LIMIT 1 OFFSET ?")
            .pluck()
            .get(stored - 1) as number);
    const page = database.prepare("SELECT rowid, title, text FROM passages WHERE rowid > ? ORDER BY rowid LIMIT ?");
    const progress = createProgress({ label: `embed ${name}`, total, start: stored, quiet: options.quiet });
    let last = after;
    let tokens = 0;
    try {
      for (;;) {
        if (options.signal?.aborted)
          throw new CancelledError("embedding cancelled: run the same command again to continue after the last batch");
        const rows = page.all(last, batchSize) as Row[];
        if (rows.length === 0) break;
        const { vectors, tokens: used } = await options.client.embedPassages(
          rows.map((row) => `${row.title}\n${row.text}`),
          options.signal,
        );
        index ??= await DenseIndex.open(directory, vectors[0]?.length ?? 0);
        await index.add(
          rows.map((row) => row.rowid),
          vectors,
        );
        tokens += used;
        last = (rows[rows.length - 1] as Row).rowid;
        progress.increment(rows.length, { tokens });
      }
    } finally {
      progress.stop();
    }
    if (!index) throw new NotFoundError(`corpus "${name}" has no passages to embed`);
    const ann = await index.buildAnnIndex();
    const recallAt10 = await annRecall(database, index, options);
    const dense: DenseEntry = {
      model: options.settings.model,
      baseUrl: withoutCredentials(options.settings.baseUrl),
      prefix: options.settings.prefix ?? "none",
      normalize: options.settings.normalize !== false,
      dimensions: index.dimensions,
      rows: await index.rows(),
      ann,
      recallAt10,
      tokens: (manifest.dense?.tokens ?? 0) + tokens,
      seconds: (performance.now() - started) / 1000,
      defaultMode: options.defaultMode ?? manifest.dense?.defaultMode ?? "bm25",
    };
    index.close();
    const updated: CorpusManifest = { ...manifest, dense };
    database.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('manifest', ?)").run(JSON.stringify(updated));
    writeFileSync(join(directory, MANIFEST_FILE), `${JSON.stringify(updated, null, 2)}\n`);
    return updated;
  } finally {
    database.close();
  }
}

/** Share of the brute-force top 10 that the ANN index returns, over passages' titles used as queries. */
async function annRecall(database: Database.Database, index: DenseIndex, options: EmbedCorpusOptions): Promise<number> {
  const count = Math.max(1, options.recallQueries ?? 100);
  const titles = database
    .prepare("SELECT title FROM passages WHERE rowid % ? = 0 LIMIT ?")
    .pluck()
    .all(
      Math.max(
        1,
        Math.floor(((database.prepare("SELECT MAX(rowid) FROM passages").pluck().get() as number) ?? 1) / count),
      ),
      count,
    ) as string[];
  const { vectors } = await options.client.embedQueries(titles, options.signal);
  let found = 0;
  let possible = 0;
  for (const vector of vectors) {
    const exact = new Set((await index.search(vector, 10, true)).map((hit) => hit.rowid));
    const approximate = await index.search(vector, 10);
    found += approximate.filter((hit) => exact.has(hit.rowid)).length;
    possible += exact.size;
  }
  return possible === 0 ? 1 : found / possible;
}
