/**
 * Readers and writers for tabular data files: jsonl, json, csv (csv-parse), parquet (hyparquet /
 * hyparquet-writer) and xlsx (read-excel-file). Rows come back as plain objects with their 1-based row
 * number (the line for jsonl, the data row for csv/xlsx/parquet, the list index for json), so a bad row
 * can be reported as `file:row`.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, extname } from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import { parquetMetadata, parquetReadObjects } from "hyparquet";
import { parquetWriteBuffer } from "hyparquet-writer";
import { DataError, InputError } from "../core/errors.js";

export const TABLE_FORMATS = ["jsonl", "json", "csv", "parquet", "xlsx"] as const;
export type TableFormat = (typeof TABLE_FORMATS)[number];

export interface TableRow {
  /** 1-based row number (jsonl: line number). */
  row: number;
  value: Record<string, unknown>;
}

export function isTableFormat(value: string): value is TableFormat {
  return (TABLE_FORMATS as readonly string[]).includes(value);
}

/** The format from a file extension (`.jsonl`/`.ndjson`, `.json`, `.csv`, `.parquet`, `.xlsx`). */
export function formatFromPath(path: string): TableFormat {
  const extension = extname(path).toLowerCase().slice(1);
  if (extension === "ndjson") return "jsonl";
  if (isTableFormat(extension)) return extension;
  throw new InputError(
    `cannot tell the format of ${path} from its extension; pass --format ${TABLE_FORMATS.join("|")}`,
  );
}

/** Turn BigInt (parquet INT64) and typed arrays into JSON-friendly values. */
export function plainValue(value: unknown): unknown {
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date) return value.toISOString();
  if (ArrayBuffer.isView(value) && !(value instanceof DataView))
    return Array.from(value as unknown as ArrayLike<unknown>, plainValue);
  if (Array.isArray(value)) return value.map(plainValue);
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = plainValue(item);
    return out;
  }
  return value;
}

function asRecord(value: unknown, file: string, row: number): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new DataError("expected a JSON object per row", { file, line: row });
  return value as Record<string, unknown>;
}

function readFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new InputError(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}

export function readJsonlRows(path: string, text = readFile(path).toString("utf8")): TableRow[] {
  const rows: TableRow[] = [];
  const lines = text.split("\n");
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new DataError(`invalid JSON: ${(error as Error).message}`, { file: path, line: index + 1 });
    }
    rows.push({ row: index + 1, value: asRecord(value, path, index + 1) });
  }
  return rows;
}

/**
 * A user's JSONL file through a zod schema, row by row: a bad line fails with file:line, and `expected` (what the
 * line should be) in the message.
 */
export function readValidatedJsonl<T>(
  path: string,
  schema: {
    safeParse(
      value: unknown,
    ): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
  },
  expected: string,
): { value: T; line: number }[] {
  return readJsonlRows(path).map(({ row, value }) => {
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? `${issue.path.map(String).join(".")}: ` : "";
      throw new DataError(`expected ${expected}: ${where}${issue?.message ?? "bad shape"}`, { file: path, line: row });
    }
    return { value: parsed.data, line: row };
  });
}

export function readJsonRows(path: string): TableRow[] {
  let value: unknown;
  try {
    value = JSON.parse(readFile(path).toString("utf8"));
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new DataError(`invalid JSON: ${(error as Error).message}`, { file: path });
  }
  // Accept a list, or an object holding one list (e.g. {"data": [...]}).
  if (!Array.isArray(value) && typeof value === "object" && value !== null) {
    const lists = Object.values(value).filter(Array.isArray);
    if (lists.length === 1) value = lists[0];
  }
  if (!Array.isArray(value)) throw new DataError("expected a JSON list of objects", { file: path });
  return value.map((item, index) => ({ row: index + 1, value: asRecord(item, path, index + 1) }));
}

export function readCsvRows(path: string): TableRow[] {
  let records: Record<string, unknown>[];
  try {
    records = parseCsv(readFile(path), { columns: true, skip_empty_lines: true, bom: true, relax_quotes: false });
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    throw new DataError(`invalid CSV: ${(error as Error).message}`, { file: path, ...(line ? { line } : {}) });
  }
  return records.map((value, index) => ({ row: index + 1, value }));
}

export async function readParquetRows(path: string): Promise<TableRow[]> {
  const buffer = readFile(path);
  const arrayBuffer = buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer;
  let records: Record<string, unknown>[];
  try {
    records = await parquetReadObjects({ file: arrayBuffer });
  } catch (error) {
    throw new DataError(`invalid parquet: ${(error as Error).message}`, { file: path });
  }
  // Top-level JSON columns (as hyparquet-writer writes nested values) come back as text: parse them.
  const jsonColumns = parquetMetadata(arrayBuffer)
    .schema.slice(1)
    .filter((element) => element.converted_type === "JSON" || element.logical_type?.type === "JSON")
    .map((element) => element.name);
  return records.map((record, index) => {
    const value = plainValue(record) as Record<string, unknown>;
    for (const name of jsonColumns) {
      const text = value[name];
      if (typeof text !== "string") continue;
      try {
        value[name] = JSON.parse(text);
      } catch {
        throw new DataError(`column "${name}" is not valid JSON`, { file: path, line: index + 1 });
      }
    }
    return { row: index + 1, value };
  });
}

export async function readXlsxRows(path: string): Promise<TableRow[]> {
  const { default: readXlsxFile } = await import("read-excel-file/node");
  let sheets: Awaited<ReturnType<typeof readXlsxFile>>;
  try {
    sheets = await readXlsxFile(readFile(path));
  } catch (error) {
    throw new DataError(`invalid xlsx: ${(error as Error).message}`, { file: path });
  }
  const data = sheets[0]?.data ?? [];
  const header = (data[0] ?? []).map((cell) => String(cell ?? ""));
  return data.slice(1).map((cells, index) => {
    const value: Record<string, unknown> = {};
    header.forEach((name, column) => {
      value[name] = plainValue(cells[column] ?? null);
    });
    return { row: index + 1, value };
  });
}

/** Read any supported table file. */
export async function readTable(path: string, format: TableFormat = formatFromPath(path)): Promise<TableRow[]> {
  switch (format) {
    case "jsonl":
      return readJsonlRows(path);
    case "json":
      return readJsonRows(path);
    case "csv":
      return readCsvRows(path);
    case "parquet":
      return readParquetRows(path);
    case "xlsx":
      return readXlsxRows(path);
  }
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * Write rows as jsonl, json, csv or parquet (xlsx is read-only). CSV and parquet store nested values as
 * JSON text; parquet columns are typed STRING / DOUBLE / BOOLEAN / JSON by their values.
 */
export function writeTable(
  path: string,
  rows: readonly Record<string, unknown>[],
  format: TableFormat = formatFromPath(path),
): void {
  if (format !== "xlsx") mkdirSync(dirname(path), { recursive: true });
  switch (format) {
    case "jsonl":
      writeFileSync(path, rows.map((row) => `${JSON.stringify(row)}\n`).join(""));
      return;
    case "json":
      writeFileSync(path, `${JSON.stringify(rows, null, 2)}\n`);
      return;
    case "csv": {
      const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
      const lines = [
        columns.map(csvCell).join(","),
        ...rows.map((row) => columns.map((name) => csvCell(row[name])).join(",")),
      ];
      writeFileSync(path, `${lines.join("\n")}\n`);
      return;
    }
    case "parquet": {
      const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
      const columnData = columns.map((name) => {
        const values = rows.map((row) => row[name] ?? null);
        const present = values.filter((value) => value !== null);
        if (present.length > 0 && present.every((value) => typeof value === "number"))
          return { name, data: values, type: "DOUBLE" as const };
        if (present.length > 0 && present.every((value) => typeof value === "boolean"))
          return { name, data: values, type: "BOOLEAN" as const };
        if (present.every((value) => typeof value === "string")) return { name, data: values, type: "STRING" as const };
        return {
          name,
          data: values.map((value) => (value === null ? null : JSON.stringify(value))),
          type: "JSON" as const,
        };
      });
      writeFileSync(path, new Uint8Array(parquetWriteBuffer({ columnData })));
      return;
    }
    case "xlsx":
      throw new InputError("writing xlsx is not supported; write jsonl, json, csv or parquet");
  }
}
