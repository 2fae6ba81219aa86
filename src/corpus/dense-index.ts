/**
 * Dense retrieval for a corpus: passage embeddings (from an OpenAI-compatible embeddings server, see
 * src/llm/embeddings.ts) in a LanceDB table `<corpus>/dense/` keyed by the SQLite row id, with an ANN index
 * (IVF partitions + HNSW graph over scalar-quantised vectors) once there are enough rows to train one. Embedding is
 * resumable: batches are appended in row order, so a restarted `drkit corpus embed` continues after the last
 * stored row. Its recall against brute force is measured after the index is built and kept in the manifest.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { CorpusError } from "../core/errors.js";
import { lancedb } from "./lance-index.js";

export const DENSE_DIRECTORY = "dense";
const TABLE = "vectors";
/** Fewer rows than this are searched by brute force (an IVF index needs rows to train its partitions). */
export const ANN_MIN_ROWS = 1_000;

type LanceTable = import("@lancedb/lancedb").Table;

export interface DenseHit {
  rowid: number;
  /** Cosine similarity (higher is better). */
  score: number;
}

export class DenseIndex {
  private constructor(
    private readonly table: LanceTable,
    readonly dimensions: number,
  ) {}

  /** Open (or create, when `dimensions` is given) the vectors table of a corpus folder. */
  static async open(corpusDirectory: string, dimensions?: number): Promise<DenseIndex> {
    const lance = await lancedb();
    const folder = join(corpusDirectory, DENSE_DIRECTORY);
    const connection = await lance.connect(folder);
    if ((await connection.tableNames()).includes(TABLE)) {
      const table = await connection.openTable(TABLE);
      const schema = await table.schema();
      const field = schema.fields.find((candidate) => candidate.name === "vector");
      const size = (field?.type as { listSize?: number } | undefined)?.listSize ?? 0;
      if (dimensions !== undefined && size !== dimensions)
        throw new CorpusError(
          `the stored embeddings have ${size} dimensions and the model gives ${dimensions}: embed with the same model, or remove ${folder} to start over`,
        );
      return new DenseIndex(table, size);
    }
    if (dimensions === undefined) throw new CorpusError(`no embeddings in ${folder}: run drkit corpus embed first`);
    const arrow = await import("apache-arrow");
    const schema = new arrow.Schema([
      new arrow.Field("rowid", new arrow.Int32(), false),
      new arrow.Field(
        "vector",
        new arrow.FixedSizeList(dimensions, new arrow.Field("item", new arrow.Float32(), true)),
        false,
      ),
    ]);
    return new DenseIndex(await connection.createEmptyTable(TABLE, schema), dimensions);
  }

  static exists(corpusDirectory: string): boolean {
    return existsSync(join(corpusDirectory, DENSE_DIRECTORY, `${TABLE}.lance`));
  }

  rows(): Promise<number> {
    return this.table.countRows();
  }

  /** Append one batch (one commit: a kill leaves whole batches only). */
  async add(rowids: readonly number[], vectors: readonly Float32Array[]): Promise<void> {
    await this.table.add(rowids.map((rowid, index) => ({ rowid, vector: Array.from(vectors[index] as Float32Array) })));
  }

  /** Build the ANN index (when there are enough rows); returns its kind. */
  async buildAnnIndex(): Promise<"ivf-hnsw-sq" | "brute force"> {
    const rows = await this.rows();
    if (rows < ANN_MIN_ROWS) return "brute force";
    const { Index } = await lancedb();
    await this.table.createIndex("vector", {
      config: Index.hnswSq({ distanceType: "cosine", numPartitions: Math.max(1, Math.round(Math.sqrt(rows) / 8)) }),
      replace: true,
    });
    return "ivf-hnsw-sq";
  }

  /** The `limit` nearest rows by cosine similarity; `exact` bypasses the ANN index (brute force). */
  async search(vector: Float32Array, limit: number, exact = false): Promise<DenseHit[]> {
    if (limit <= 0) return [];
    let query = this.table.vectorSearch(Array.from(vector)).distanceType("cosine").limit(limit);
    if (exact) query = query.bypassVectorIndex();
    else
      query = query
        .nprobes(20)
        .ef(Math.max(100, limit * 10))
        .refineFactor(4);
    const rows = (await query.select(["rowid", "_distance"]).toArray()) as { rowid: number; _distance: number }[];
    return rows.map((row) => ({ rowid: Number(row.rowid), score: 1 - Number(row._distance) }));
  }

  close(): void {
    this.table.close();
  }
}
