/** `drkit score`: score predictions from any system against a benchmark's gold answers (EM, F1, cover-EM …). */
import type { Command } from "commander";
import { InputError } from "../core/errors.js";
import { loadBenchmark } from "../data/load.js";
import { isTableFormat, TABLE_FORMATS, type TableFormat } from "../data/tables.js";
import { JUDGE_NAMES, judgeFromConfig } from "../eval/judges/judge.js";
import { judgeScoreReport, readPredictions, type ScoreReport, scorePredictions } from "../eval/score.js";
import { EXTRACTION_STYLES, type ExtractionStyle } from "../reward/extract.js";
import { isStringMetric, STRING_METRICS, type StringMetric } from "../reward/normalize.js";
import { configFrom, integerOption, positiveIntegerOption, printJson } from "./context.js";

interface ScoreOptions {
  pred: string;
  gold: string;
  goldFile?: string;
  metrics: string;
  format?: string;
  extract?: string;
  filter?: string[];
  limit?: number;
  perItem?: boolean;
  json?: boolean;
  judge?: string;
  judgeModel?: string;
  judgeBaseUrl?: string;
  concurrency: number;
}

function percent(value: number): string {
  return (value * 100).toFixed(2);
}

export function formatScoreReport(report: ScoreReport, name: string, perItem: boolean): string {
  const lines: string[] = [];
  lines.push(`${name}: ${report.count} questions, ${report.missing} without a prediction (scored 0)`);
  if (report.unknownIds.length)
    lines.push(
      `warning: ${report.unknownIds.length} predictions have ids not in the gold set (ignored), e.g. ${report.unknownIds.slice(0, 3).join(", ")}`,
    );
  lines.push(report.metrics.map((metric) => `${metric} ${percent(report.aggregate[metric] ?? 0)}`).join("  "));
  if (report.judge)
    lines.push(
      `judge ${report.judge.name}: accuracy ${percent(report.judge.accuracy)} over ${report.judge.decided} decided, ${report.judge.errors} judge errors (unscored), ${report.judge.disagreements.length} disagreements with EM`,
    );
  for (const [title, groups] of [
    ["by level", report.byLevel],
    ["by source", report.bySource],
  ] as const) {
    const entries = Object.entries(groups);
    if (entries.length < 2) continue;
    lines.push(`${title}:`);
    for (const [group, values] of entries)
      lines.push(
        `  ${group.padEnd(16)} n=${String(values.count).padEnd(5)} ${report.metrics.map((metric) => `${metric} ${percent(values[metric] ?? 0)}`).join("  ")}`,
      );
  }
  if (perItem) {
    lines.push("");
    for (const item of report.items)
      lines.push(
        `${item.id}\t${item.verdict ? `judge=${item.verdict.status === "ok" ? (item.verdict.correct ? "correct" : "wrong") : "error"} ` : ""}${report.metrics.map((metric) => `${metric}=${(item.scores[metric] ?? 0).toFixed(3)}`).join(" ")}\t${JSON.stringify(item.prediction)}\t${JSON.stringify(item.golds)}`,
      );
  }
  return `${lines.join("\n")}\n`;
}

export function registerScoreCommand(program: Command): void {
  program
    .command("score")
    .description("Score predictions (jsonl {id, prediction}) against a benchmark's gold answers")
    .requiredOption(
      "--pred <file>",
      "predictions: jsonl/json/csv/parquet with id and prediction (drkit trajectories work too)",
    )
    .requiredOption("--gold <benchmark|file>", "benchmark name (e.g. hotpotqa, bamboogle) or a question file")
    .option("--gold-file <file>", "the data file for a benchmark that is not bundled (gaia, hle, deepresearch-9k …)")
    .option("--metrics <list>", `comma-separated: ${STRING_METRICS.join(",")}`, "em,f1,cover_em")
    .option("--format <format>", `predictions file format (${TABLE_FORMATS.join(", ")}); default from the extension`)
    .option("--extract <style>", `pull the answer out of <answer> tags first (${EXTRACTION_STYLES.join(", ")})`)
    .option("--filter <key=value...>", "only gold questions matching (e.g. level=hard, source=nq)")
    .option("--limit <n>", "only the first n gold questions", positiveIntegerOption("limit"))
    .option("--judge <name>", `also judge each prediction with an LLM judge (${JUDGE_NAMES.join(", ")})`)
    .option("--judge-model <name>", "judge model (else config.judge / DRKIT_JUDGE_MODEL, then the agent model)")
    .option("--judge-base-url <url>", "judge endpoint")
    .option("--concurrency <n>", "judge calls in flight", integerOption("concurrency"), 4)
    .option("--per-item", "print one line per question")
    .option("--json", "print the full report as JSON")
    .action(async (options: ScoreOptions, command: Command) => {
      const metrics = options.metrics
        .split(",")
        .map((metric) => metric.trim())
        .filter(Boolean);
      const unknown = metrics.filter((metric) => !isStringMetric(metric));
      if (unknown.length || metrics.length === 0)
        throw new InputError(`unknown metric ${unknown.join(", ")}; choose from ${STRING_METRICS.join(", ")}`);
      if (options.format && !isTableFormat(options.format))
        throw new InputError(`--format must be one of ${TABLE_FORMATS.join(", ")}`);
      if (options.extract && !(EXTRACTION_STYLES as readonly string[]).includes(options.extract))
        throw new InputError(`--extract must be one of ${EXTRACTION_STYLES.join(", ")}`);
      const gold = await loadBenchmark(options.gold, {
        ...(options.goldFile ? { file: options.goldFile } : {}),
        ...(options.filter ? { filter: options.filter } : {}),
        ...(options.limit !== undefined ? { limit: options.limit } : {}),
      });
      const predictions = await readPredictions(options.pred, {
        ...(options.format ? { format: options.format as TableFormat } : {}),
        ...(options.extract ? { extraction: options.extract as ExtractionStyle } : {}),
      });
      let report = scorePredictions(predictions, gold.questions, metrics as StringMetric[]);
      if (options.judge) {
        const config = configFrom(command, {
          judge: {
            ...(options.judgeModel ? { model: options.judgeModel } : {}),
            ...(options.judgeBaseUrl ? { baseUrl: options.judgeBaseUrl } : {}),
          },
        });
        report = await judgeScoreReport(
          report,
          gold.questions,
          judgeFromConfig(config, options.judge),
          options.concurrency,
        );
      }
      if (options.json) printJson({ benchmark: gold.name, ...report });
      else process.stdout.write(formatScoreReport(report, gold.name, options.perItem === true));
    });
}
