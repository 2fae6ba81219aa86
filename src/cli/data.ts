/** `drkit data list|show|convert`: the benchmark registry, a look at questions, and format conversion. */
import type { Command } from "commander";
import { InputError } from "../core/errors.js";
import { isBundled, listBenchmarks } from "../data/benchmarks.js";
import { type LoadOptions, loadBenchmark } from "../data/load.js";
import { formatFromPath, isTableFormat, TABLE_FORMATS, type TableFormat, writeTable } from "../data/tables.js";
import { integerOption, positiveIntegerOption, printJson } from "./context.js";

interface SelectionFlags {
  file?: string;
  format?: string;
  filter?: string[];
  sample?: number;
  seed: number;
  limit?: number;
}

function selection(flags: SelectionFlags): LoadOptions {
  if (flags.format && !isTableFormat(flags.format))
    throw new InputError(`--format must be one of ${TABLE_FORMATS.join(", ")}`);
  return {
    ...(flags.file ? { file: flags.file } : {}),
    ...(flags.format ? { format: flags.format as TableFormat } : {}),
    ...(flags.filter ? { filter: flags.filter } : {}),
    ...(flags.sample !== undefined ? { sample: flags.sample, seed: flags.seed } : {}),
    ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
  };
}

function withSelection(command: Command): Command {
  return command
    .option("--file <path>", "data file for a benchmark that is not bundled (gaia, hle, browsecomp, deepresearch-9k)")
    .option("--format <format>", `input format (${TABLE_FORMATS.join(", ")}); default from the extension`)
    .option("--filter <key=value...>", "only questions matching (e.g. level=3, source=nq; a|b for alternatives)")
    .option("--sample <n>", "draw n questions at random (with --seed)", integerOption("sample"))
    .option("--seed <n>", "seed for --sample", integerOption("seed"), 0)
    .option("--limit <n>", "only the first n questions", positiveIntegerOption("limit"));
}

export function registerDataCommand(program: Command): void {
  const data = program.command("data").description("Benchmarks: list the registry, show questions, convert formats");

  data
    .command("list")
    .description("List the benchmarks drkit knows (bundled under data/ or read from your file)")
    .option("--json", "print as JSON")
    .action((options: { json?: boolean }) => {
      const rows = listBenchmarks().map((spec) => ({
        name: spec.name,
        aliases: spec.aliases ?? [],
        bundled: isBundled(spec),
        encrypted: spec.encrypted === true,
        scoring: spec.scoring === "judge" ? `judge (${spec.judge})` : "exact match",
        description: spec.description,
      }));
      if (options.json) {
        printJson(rows);
        return;
      }
      for (const row of rows)
        process.stdout.write(
          `${row.name.padEnd(24)} ${(row.bundled ? "bundled" : "--file").padEnd(8)} ${row.scoring.padEnd(22)} ${row.description}${row.encrypted ? " [encrypted]" : ""}\n`,
        );
    });

  withSelection(
    data
      .command("show")
      .description("Print questions of a benchmark as JSON lines (encrypted sets need --reveal)")
      .argument("<benchmark>", "benchmark name or question file"),
  )
    .option("--reveal", "allow printing decrypted questions of encrypted benchmarks to your terminal")
    .option("--count", "print only the number of questions (and per level)")
    .action(async (benchmark: string, flags: SelectionFlags & { reveal?: boolean; count?: boolean }) => {
      const loaded = await loadBenchmark(benchmark, selection(flags));
      if (flags.count) {
        const levels: Record<string, number> = {};
        for (const question of loaded.questions)
          levels[question.level ?? "-"] = (levels[question.level ?? "-"] ?? 0) + 1;
        printJson({ benchmark: loaded.name, questions: loaded.questions.length, rows: loaded.totalRows, levels });
        return;
      }
      if (loaded.spec?.encrypted && !flags.reveal)
        throw new InputError(
          `${loaded.name} is published encrypted so its text stays out of crawls; pass --reveal to print it to your terminal (do not publish the output), or --count`,
        );
      for (const question of loaded.questions) process.stdout.write(`${JSON.stringify(question)}\n`);
    });

  withSelection(
    data
      .command("convert")
      .description("Write a benchmark as Question records (jsonl, json, csv or parquet)")
      .argument("<benchmark>", "benchmark name or question file")
      .requiredOption("--out <file>", "output file; the format comes from its extension or --out-format"),
  )
    .option("--out-format <format>", "jsonl, json, csv or parquet")
    .action(async (benchmark: string, flags: SelectionFlags & { out: string; outFormat?: string }) => {
      const loaded = await loadBenchmark(benchmark, selection(flags));
      if (loaded.spec?.encrypted)
        throw new InputError(
          `${loaded.name} is encrypted: drkit does not write its plaintext to files; evaluate it directly with drkit eval --benchmark ${loaded.name}`,
        );
      const format = flags.outFormat ?? formatFromPath(flags.out);
      if (!isTableFormat(format) || format === "xlsx")
        throw new InputError("--out-format must be jsonl, json, csv or parquet");
      writeTable(flags.out, loaded.questions, format);
      process.stdout.write(`wrote ${loaded.questions.length} questions to ${flags.out}\n`);
    });
}
