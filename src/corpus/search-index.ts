/**
 * The search index of a corpus store: built from the passage rows of the SQLite store (at `corpus build`, or for an
 * existing corpus with `drkit corpus index`) into a `lance-<stamp>` folder that the store's manifest names. Each
 * build writes a new folder, so a reader opened before it keeps searching its own; older folders are removed.
 */
import { existsSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { NotFoundError } from "../core/errors.js";
import { createProgress } from "../core/progress.js";
import { buildLanceIndex, type IndexRow, LANCE_FOLDER_PREFIX } from "./lance-index.js";
import {
  type CorpusManifest,
  CorpusManifestSchema,
  corpusDirectory,
  corpusFile,
  MANIFEST_FILE,
} from "./store-layout.js";

const ROWS_PER_BATCH = 50_000;

type SearchIndexEntry = NonNullable<CorpusManifest["searchIndex"]>;

function* passageBatches(database: Database.Database): Generator<IndexRow[]> {
  const page = database.prepare("SELECT rowid, title, text FROM passages WHERE rowid > ? ORDER BY rowid LIMIT ?");
  let last = 0;
  for (;;) {
    const rows = page.all(last, ROWS_PER_BATCH) as IndexRow[];
    if (rows.length === 0) return;
    last = (rows[rows.length - 1] as IndexRow).rowid;
    yield rows;
  }
}

/** Build the index of the passages in `database` into a new folder of `directory`; returns the manifest entry. */
export async function buildSearchIndex(
  database: Database.Database,
  directory: string,
  options: { label: string; passages: number; titleWeight: number; quiet?: boolean; signal?: AbortSignal },
): Promise<SearchIndexEntry> {
  const folder = `${LANCE_FOLDER_PREFIX}${new Date().toISOString().replace(/\D/g, "")}-${process.pid}`;
  const progress = createProgress({ label: `index ${options.label}`, total: options.passages, quiet: options.quiet });
  let reported = 0;
  try {
    const { seconds } = await buildLanceIndex(join(directory, folder), passageBatches(database), {
      titleWeight: options.titleWeight,
      ...(options.signal ? { signal: options.signal } : {}),
      onRows: (rows) => {
        progress.increment(rows - reported);
        reported = rows;
      },
    });
    return { engine: "lance", folder, seconds };
  } finally {
    progress.stop();
  }
}

/** Remove index folders of `directory` other than `keep` (the current one and the one open readers may use). */
export function removeOtherIndexes(directory: string, keep: readonly (string | undefined)[]): void {
  for (const entry of existsSync(directory) ? readdirSync(directory) : []) {
    if (entry.startsWith(LANCE_FOLDER_PREFIX) && !keep.includes(entry))
      rmSync(join(directory, entry), { recursive: true, force: true });
  }
}

/**
 * Add (or rebuild) the search index of an existing corpus: the migration of corpora built before drkit had one.
 * The store's manifest is updated in place; the previous index folder stays for readers that have it open.
 */
export async function indexCorpus(
  name: string,
  options: { home?: string; quiet?: boolean; signal?: AbortSignal } = {},
): Promise<CorpusManifest> {
  const file = corpusFile(name, options.home);
  if (!existsSync(file))
    throw new NotFoundError(
      `corpus "${name}" not found (${file}); build it with: drkit corpus build ${name} --from <file...>`,
    );
  const directory = corpusDirectory(name, options.home);
  const database = new Database(file);
  try {
    const meta = database.prepare("SELECT value FROM meta WHERE key = 'manifest'").pluck().get();
    const manifest = CorpusManifestSchema.parse(JSON.parse(String(meta)));
    const previous = manifest.searchIndex?.folder;
    const searchIndex = await buildSearchIndex(database, directory, {
      label: name,
      passages: manifest.counts.passages,
      titleWeight: manifest.titleWeight,
      ...(options.quiet !== undefined ? { quiet: options.quiet } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const updated: CorpusManifest = { ...manifest, searchIndex };
    database.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('manifest', ?)").run(JSON.stringify(updated));
    writeFileSync(join(directory, MANIFEST_FILE), `${JSON.stringify(updated, null, 2)}\n`);
    removeOtherIndexes(directory, [searchIndex.folder, previous]);
    return updated;
  } finally {
    database.close();
  }
}
