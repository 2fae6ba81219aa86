/**
 * Load a benchmark by name (bundled under data/ or from a user file) or any question file by path, into
 * validated `Question` records, with `filter`, `sample` (seeded) and `limit`.
 */
import { existsSync } from "node:fs";
import { basename, extname, resolve } from "node:path";
import { DataError, InputError, NotFoundError } from "../core/errors.js";
import { Random } from "../core/random.js";
import { type BenchmarkSpec, bundledPath, findBenchmark, genericQuestion, listBenchmarks } from "./benchmarks.js";
import { type Question, QuestionSchema } from "./question.js";
import { formatFromPath, readTable, type TableFormat } from "./tables.js";

export interface LoadOptions {
  /** A user file for benchmarks that are not bundled (gaia, hle, browsecomp, deepresearch-9k) or to override. */
  file?: string;
  format?: TableFormat;
  /** Keep rows where every `key=value` holds (key: id, level, source or a metadata field; `a|b` alternatives). */
  filter?: string[] | Record<string, string>;
  /** Draw this many questions at random (seeded) after filtering. */
  sample?: number;
  seed?: number;
  /** Keep the first N (after filter and sample). */
  limit?: number;
}

export interface LoadedBenchmark {
  /** Benchmark name (registry name, or the file's base name). */
  name: string;
  spec: BenchmarkSpec | undefined;
  files: string[];
  questions: Question[];
  /** Rows in the files before filter / sample / limit. */
  totalRows: number;
}

function parseFilters(filter: LoadOptions["filter"]): [string, string[]][] {
  if (!filter) return [];
  const entries = Array.isArray(filter)
    ? filter.map((item) => {
        const at = item.indexOf("=");
        if (at <= 0) throw new InputError(`--filter must look like key=value (e.g. level=3), got "${item}"`);
        return [item.slice(0, at).trim(), item.slice(at + 1).trim()] as [string, string];
      })
    : Object.entries(filter);
  return entries.map(([key, value]) => [key, value.split("|")]);
}

function fieldOf(question: Question, key: string): unknown {
  if (key.startsWith("metadata.")) return question.metadata[key.slice("metadata.".length)];
  if (key in question) return (question as Record<string, unknown>)[key];
  return question.metadata[key];
}

function matches(question: Question, filters: [string, string[]][]): boolean {
  return filters.every(([key, values]) => {
    const field = fieldOf(question, key);
    const texts = Array.isArray(field)
      ? field.map(String)
      : field === undefined || field === null
        ? []
        : [String(field)];
    return texts.some((text) => values.some((value) => value.toLowerCase() === text.toLowerCase()));
  });
}

/** Validate, filter, sample and limit mapped rows. */
export function selectQuestions(questions: Question[], options: LoadOptions): Question[] {
  let selected = questions;
  const filters = parseFilters(options.filter);
  if (filters.length) selected = selected.filter((question) => matches(question, filters));
  if (options.sample !== undefined) {
    if (!Number.isInteger(options.sample) || options.sample < 0)
      throw new InputError("--sample must be a whole number ≥ 0");
    selected = new Random(options.seed ?? 0).sample(selected, options.sample);
  }
  if (options.limit !== undefined) {
    if (!Number.isInteger(options.limit) || options.limit < 0)
      throw new InputError("--limit must be a whole number ≥ 0");
    selected = selected.slice(0, options.limit);
  }
  return selected;
}

async function readQuestions(
  files: string[],
  format: TableFormat | undefined,
  toQuestion: BenchmarkSpec["toQuestion"],
  sourceFilter: string | undefined,
): Promise<{ questions: Question[]; totalRows: number }> {
  const questions: Question[] = [];
  const seen = new Map<string, string>();
  let totalRows = 0;
  let index = 0;
  for (const file of files) {
    const rows = await readTable(file, format ?? formatFromPath(file));
    for (const { row, value } of rows) {
      if (sourceFilter !== undefined && String(value.data_source) !== sourceFilter) continue;
      totalRows += 1;
      const mapped = toQuestion(value, { file, row, index });
      index += 1;
      if (mapped === null) continue;
      const parsed = QuestionSchema.safeParse(mapped);
      if (!parsed.success) {
        const issues = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(row)"}: ${issue.message}`);
        throw new DataError(`not a valid question: ${issues.join("; ")}`, { file, line: row });
      }
      const where = `${file}:${row}`;
      const earlier = seen.get(parsed.data.id);
      if (earlier)
        throw new DataError(`duplicate question id "${parsed.data.id}" (first at ${earlier})`, { file, line: row });
      seen.set(parsed.data.id, where);
      questions.push(parsed.data);
    }
  }
  return { questions, totalRows };
}

/**
 * Load by registry name (`hotpotqa`, `bamboogle`, `gaia --file metadata.jsonl` …) or by file path (read
 * with the detected or given format and the generic field mapping).
 */
export async function loadBenchmark(nameOrPath: string, options: LoadOptions = {}): Promise<LoadedBenchmark> {
  const spec = findBenchmark(nameOrPath);
  let files: string[];
  let name: string;
  let toQuestion: BenchmarkSpec["toQuestion"];
  if (spec) {
    name = spec.name;
    toQuestion = spec.toQuestion;
    if (options.file) files = [resolve(options.file)];
    else if (spec.files) files = spec.files.map((file) => bundledPath(file));
    else
      throw new InputError(
        `benchmark "${spec.name}" is not bundled (${spec.description}); download it yourself and pass --file <path>`,
      );
    for (const file of files)
      if (!existsSync(file)) throw new NotFoundError(`data file ${file} for benchmark "${spec.name}" does not exist`);
  } else if (existsSync(nameOrPath)) {
    files = [resolve(nameOrPath)];
    name = basename(nameOrPath, extname(nameOrPath));
    toQuestion = genericQuestion(name);
  } else {
    const known = listBenchmarks()
      .map((item) => item.name)
      .join(", ");
    throw new NotFoundError(`no benchmark or file named "${nameOrPath}"; known benchmarks: ${known}`);
  }
  const { questions, totalRows } = await readQuestions(files, options.format, toQuestion, spec?.sourceFilter);
  return { name, spec, files, questions: selectQuestions(questions, options), totalRows };
}
