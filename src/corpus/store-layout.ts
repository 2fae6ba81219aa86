/**
 * Where corpora live and what a corpus store holds: `$DRKIT_HOME/corpora/<name>/corpus.sqlite` (passages,
 * FTS5 index, meta) and `manifest.json` (a copy of the meta manifest for people and `corpus list`).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { z } from "zod";
import { InputError } from "../core/errors.js";
import { CORPUS_FORMATS } from "./formats.js";

export const CORPUS_SCHEMA_VERSION = 1;
export const CORPUS_FILE = "corpus.sqlite";
export const MANIFEST_FILE = "manifest.json";

/** One source file of a corpus: its format and what it gave. */
export const CorpusSourceSchema = z.object({
  file: z.string(),
  format: z.enum(CORPUS_FORMATS),
  records: z.number().int(),
  passages: z.number().int(),
});

export const CorpusManifestSchema = z.object({
  schemaVersion: z.number().int(),
  name: z.string(),
  /** The format of the first source (see `sources` for each file's). */
  format: z.string(),
  sources: z.array(CorpusSourceSchema),
  counts: z.object({
    passages: z.number().int(),
    titles: z.number().int(),
    records: z.number().int(),
    /** Candidates skipped because the same id or the same title+text was already stored. */
    duplicates: z.number().int(),
    /** Candidates skipped because their text was empty. */
    empty: z.number().int(),
  }),
  titleWeight: z.number(),
  tokenizer: z.string(),
  bytes: z.number().int(),
  builtAt: z.string(),
  buildSeconds: z.number(),
  /**
   * The full-text search index (LanceDB, block-max WAND BM25) in a folder of the corpus, named per build so a
   * reader opened before a rebuild keeps its own. Absent: searched with SQLite FTS5 (exact BM25).
   */
  searchIndex: z.object({ engine: z.literal("lance"), folder: z.string(), seconds: z.number() }).optional(),
  /** Passage embeddings (`drkit corpus embed`): how queries must be embedded, and the ANN index's measured recall. */
  dense: z
    .object({
      model: z.string(),
      baseUrl: z.string(),
      prefix: z.union([z.enum(["e5", "none"]), z.object({ query: z.string(), passage: z.string() })]),
      normalize: z.boolean(),
      dimensions: z.number().int(),
      rows: z.number().int(),
      ann: z.enum(["ivf-hnsw-sq", "brute force"]),
      /** Share of the brute-force top 10 the ANN index returned on sampled queries. */
      recallAt10: z.number(),
      tokens: z.number(),
      seconds: z.number(),
      /** What a search without a mode uses. */
      defaultMode: z.enum(["bm25", "dense", "hybrid"]),
    })
    .optional(),
});
export type CorpusManifest = z.infer<typeof CorpusManifestSchema>;

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Throws InputError unless `name` is a safe corpus name (letters, digits, `.`, `_`, `-`). */
export function assertCorpusName(name: string): void {
  if (!NAME_PATTERN.test(name) || name.includes("..")) {
    throw new InputError(
      `invalid corpus name "${name}": use letters, digits, ".", "_" and "-" (starting with a letter or digit)`,
    );
  }
}

/** The drkit home: the given one, else $DRKIT_HOME, else `.drkit` (resolved against the working directory). */
export function resolveHome(home?: string): string {
  return resolve(home ?? process.env.DRKIT_HOME ?? ".drkit");
}

export function corporaDirectory(home?: string): string {
  return join(resolveHome(home), "corpora");
}

export function corpusDirectory(name: string, home?: string): string {
  assertCorpusName(name);
  return join(corporaDirectory(home), name);
}

export function corpusFile(name: string, home?: string): string {
  return join(corpusDirectory(name, home), CORPUS_FILE);
}

/** Manifests of the corpora under home, by name (corpora whose manifest cannot be read are skipped). */
export function listCorpora(home?: string): CorpusManifest[] {
  const directory = corporaDirectory(home);
  if (!existsSync(directory)) return [];
  const out: CorpusManifest[] = [];
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const manifestPath = join(directory, entry.name, MANIFEST_FILE);
    if (!existsSync(join(directory, entry.name, CORPUS_FILE)) || !existsSync(manifestPath)) continue;
    try {
      const parsed = CorpusManifestSchema.safeParse(JSON.parse(readFileSync(manifestPath, "utf8")));
      if (parsed.success) out.push(parsed.data);
    } catch {
      // unreadable manifest: not listed
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export const FTS_TOKENIZER = "porter unicode61 remove_diacritics 2";

export const SCHEMA_SQL = `
CREATE TABLE passages (
  rowid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  title TEXT NOT NULL,
  text TEXT NOT NULL,
  hash INTEGER NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE fts USING fts5(title, text, content='passages', content_rowid='rowid', tokenize='${FTS_TOKENIZER}');
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

/** Run after the FTS index is complete: document frequency of every indexed term, for query planning. */
export const TERM_STATISTICS_SQL = `
CREATE VIRTUAL TABLE temp.fts_vocabulary USING fts5vocab(main, 'fts', 'row');
CREATE TABLE term_df (term TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO term_df (term, df) SELECT term, doc FROM temp.fts_vocabulary;
DROP TABLE temp.fts_vocabulary;
`;
