/** `drkit collect filter|export`: turn agent trajectories into SFT / RL training data. */
import { existsSync } from "node:fs";
import type { Command } from "commander";
import { filterTrajectories, questionKey } from "../collect/select.js";
import { toSftChatml, toWebDancer } from "../collect/sft-export.js";
import type { QualityOptions } from "../collect/trajectory-checks.js";
import { readJsonLines, readTrajectoryFile, writeJsonlAtomic } from "../collect/trajectory-file.js";
import {
  type QuestionRecord,
  toQuestionRecord,
  toVerlRow,
  verlPromptStyle,
  writeVerlParquet,
} from "../collect/verl-parquet.js";
import { InputError } from "../core/errors.js";
import { findBenchmark } from "../data/benchmarks.js";
import { loadBenchmark } from "../data/load.js";
import { integerOption, numberOption, positiveIntegerOption, printJson } from "./context.js";

const EXPORT_FORMATS = ["sft-chatml", "webdancer", "verl-parquet"] as const;

interface FilterFlags {
  in: string;
  out: string;
  minReward: number;
  verdicts: boolean;
  validity: boolean;
  requireAnswer: boolean;
  correctness: boolean;
  quality: boolean;
  dedupe: boolean;
  bestOfK?: number;
  minTurns?: number;
  maxTurns?: number;
  minToolCalls?: number;
  maxToolCalls?: number;
  maxRepeatedCalls?: number;
  maxAnswerWords?: number;
  maxNgramRepeats: number;
  ngramSize: number;
  rejected?: string;
  rlPool?: string;
  json?: boolean;
}

interface ExportFlags {
  in: string;
  out: string;
  format: string;
  reasoning: string;
  promptStyle?: string;
  systemPrompt?: string;
  dataSourcePrefix: string;
  source?: string;
  ability: string;
  split: string;
  toolsKwargs?: boolean;
  agentName?: string;
  limit?: number;
}

async function readQuestions(input: string, fallbackSource: string | undefined): Promise<QuestionRecord[]> {
  if (!existsSync(input) && findBenchmark(input)) {
    const loaded = await loadBenchmark(input);
    return loaded.questions.map((question) => ({
      id: question.id,
      question: question.question,
      answers: question.goldAnswers,
      source: fallbackSource ?? question.source,
    }));
  }
  const records: QuestionRecord[] = [];
  const seen = new Set<string>();
  const source = fallbackSource ?? "drkit";
  for await (const { value, line } of readJsonLines(input)) {
    const record = toQuestionRecord(value, `${line}`, source, { file: input, line });
    if (fallbackSource) record.source = fallbackSource;
    // Trajectory files hold n samples per question: one row per question.
    if (seen.has(record.id)) continue;
    seen.add(record.id);
    records.push(record);
  }
  return records;
}

export function registerCollectCommand(program: Command): void {
  const collect = program.command("collect").description("Filter trajectories and export SFT / RL training data");

  collect
    .command("filter")
    .description(
      "Three-stage filter (validity, correctness, quality rules), dedupe and keep-best-of-k over trajectory JSONL",
    )
    .requiredOption("--in <file>", "trajectory JSONL (one drkit Trajectory per line)")
    .requiredOption("--out <file>", "kept trajectories (JSONL)")
    .option(
      "--min-reward <x>",
      "correct when reward ≥ x (when no judge verdict decides)",
      numberOption("min-reward"),
      1,
    )
    .option("--no-verdicts", "ignore judge verdicts; use the reward only")
    .option("--no-validity", "skip stage 1 (format / invalid actions / unparsable tool calls / no answer)")
    .option("--no-require-answer", "stage 1 accepts trajectories without a final answer")
    .option("--no-correctness", "skip stage 2 (keep incorrect trajectories)")
    .option("--no-quality", "skip stage 3 rules")
    .option("--no-dedupe", "keep duplicate trajectories")
    .option(
      "--best-of-k <k>",
      "keep at most k trajectories per question (highest reward, fewest calls, shortest)",
      integerOption("best-of-k"),
    )
    .option("--min-turns <n>", "drop trajectories with fewer turns", integerOption("min-turns"))
    .option("--max-turns <n>", "drop trajectories with more turns", integerOption("max-turns"))
    .option(
      "--min-tool-calls <n>",
      "drop trajectories with fewer tool calls (WebSailor RFT: 6)",
      integerOption("min-tool-calls"),
    )
    .option("--max-tool-calls <n>", "drop trajectories with more tool calls", integerOption("max-tool-calls"))
    .option(
      "--max-repeated-calls <n>",
      "drop when an identical tool call repeats more than n times",
      integerOption("max-repeated-calls"),
    )
    .option("--max-answer-words <n>", "drop answers longer than n words", integerOption("max-answer-words"))
    .option(
      "--max-ngram-repeats <n>",
      "drop when any n-gram of assistant text repeats more than this (WebDancer: 4)",
      integerOption("max-ngram-repeats"),
      4,
    )
    .option("--ngram-size <n>", "n-gram size for the repetition cap", integerOption("ngram-size"), 10)
    .option("--rejected <file>", "write {id, questionId, stage, reason} for every dropped trajectory (JSONL)")
    .option(
      "--rl-pool <file>",
      "write the questions left with no kept trajectory as {id, question, answers, source} (JSONL)",
    )
    .option("--json", "print the summary as JSON")
    .action(async (flags: FilterFlags) => {
      const trajectories = await readTrajectoryFile(flags.in);
      const quality: QualityOptions = {
        minTurns: flags.minTurns,
        maxTurns: flags.maxTurns,
        minToolCalls: flags.minToolCalls,
        maxToolCalls: flags.maxToolCalls,
        maxRepeatedCalls: flags.maxRepeatedCalls,
        maxAnswerWords: flags.maxAnswerWords,
        maxNgramRepeats: flags.maxNgramRepeats,
        ngramSize: flags.ngramSize,
      };
      const result = filterTrajectories(trajectories, {
        validity: flags.validity,
        requireAnswer: flags.requireAnswer,
        correctness: flags.correctness,
        minReward: flags.minReward,
        useVerdicts: flags.verdicts,
        quality: flags.quality ? quality : false,
        dedupe: flags.dedupe,
        bestOfK: flags.bestOfK,
      });
      writeJsonlAtomic(flags.out, result.kept);
      if (flags.rejected) writeJsonlAtomic(flags.rejected, result.rejected);
      if (flags.rlPool) {
        const unsolved = new Set(result.unsolvedQuestionIds);
        const pool = new Map<string, QuestionRecord>();
        for (const trajectory of trajectories) {
          const key = questionKey(trajectory);
          if (!unsolved.has(key) || pool.has(key)) continue;
          const source = trajectory.metadata.source;
          pool.set(key, {
            id: key,
            question: trajectory.question,
            answers: trajectory.goldAnswers,
            source: typeof source === "string" ? source : "drkit",
          });
        }
        writeJsonlAtomic(flags.rlPool, [...pool.values()]);
      }
      const summary = { ...result.counts, unsolvedQuestions: result.unsolvedQuestionIds.length, out: flags.out };
      if (flags.json) {
        printJson(summary);
        return;
      }
      const { counts } = result;
      process.stdout.write(
        `kept ${counts.kept} of ${counts.input} trajectories → ${flags.out}\n` +
          `  dropped: validity ${counts.validity}, correctness ${counts.correctness}, quality ${counts.quality}, ` +
          `duplicate ${counts.duplicate}, best-of-k ${counts["best-of-k"]}\n` +
          `  questions with no kept trajectory: ${result.unsolvedQuestionIds.length}${flags.rlPool ? ` → ${flags.rlPool}` : ""}\n`,
      );
    });

  collect
    .command("export")
    .description(
      "Export filtered trajectories for SFT (chatml with loss flags, WebDancer) or questions as verl RL parquet",
    )
    .requiredOption(
      "--in <file>",
      "trajectory JSONL (sft-chatml, webdancer) or question JSONL / benchmark name (verl-parquet)",
    )
    .requiredOption("--format <format>", `output format: ${EXPORT_FORMATS.join(", ")}`)
    .requiredOption("--out <file>", "output file (.jsonl or .parquet)")
    .option("--reasoning <mode>", "SFT: inline (wrap reasoning in <think>) or drop", "inline")
    .option(
      "--prompt-style <style>",
      "verl: search-r1 (Search-R1 <search> prompt; the default), tool-call (verl's <tool_call> prompt; the default with --agent-name tool_agent) or plain (the question)",
    )
    .option("--system-prompt <text>", "verl: a system message before the user message")
    .option(
      "--data-source-prefix <prefix>",
      "verl: prefix of data_source (searchR1_ routes to verl's Search-R1 scorer)",
      "",
    )
    .option("--source <name>", "verl: data_source for every row (default: each record's source)")
    .option("--ability <label>", "verl: ability label", "fact-reasoning")
    .option("--split <name>", "verl: extra_info.split", "train")
    .option(
      "--tools-kwargs",
      "verl: add need_tools_kwargs and tools_kwargs.search.create_kwargs (verl tool agent loop)",
    )
    .option("--agent-name <name>", "verl: agent_name column (e.g. tool_agent)")
    .option("--limit <n>", "export at most n records", positiveIntegerOption("limit"))
    .action(async (flags: ExportFlags) => {
      if (!(EXPORT_FORMATS as readonly string[]).includes(flags.format)) {
        throw new InputError(`unknown --format "${flags.format}": use ${EXPORT_FORMATS.join(", ")}`);
      }
      if (flags.reasoning !== "inline" && flags.reasoning !== "drop") {
        throw new InputError(`--reasoning must be inline or drop, got "${flags.reasoning}"`);
      }
      const limit = flags.limit ?? Number.POSITIVE_INFINITY;
      if (flags.format === "verl-parquet") {
        const promptStyle = verlPromptStyle(flags.promptStyle, flags.agentName);
        const questions = (await readQuestions(flags.in, flags.source)).slice(0, limit);
        if (questions.length === 0) throw new InputError(`${flags.in} holds no questions to export`);
        const rows = questions.map((question, index) =>
          toVerlRow(question, index, {
            promptStyle,
            systemPrompt: flags.systemPrompt,
            dataSourcePrefix: flags.dataSourcePrefix,
            ability: flags.ability,
            split: flags.split,
            toolsKwargs: flags.toolsKwargs,
            agentName: flags.agentName,
          }),
        );
        writeVerlParquet(flags.out, rows);
        process.stdout.write(`wrote ${rows.length} verl rows → ${flags.out}\n`);
        return;
      }
      const trajectories = (await readTrajectoryFile(flags.in)).slice(0, limit);
      const options = { reasoning: flags.reasoning as "inline" | "drop" };
      const records =
        flags.format === "webdancer"
          ? trajectories.map((trajectory) => toWebDancer(trajectory, options))
          : trajectories.map((trajectory) => toSftChatml(trajectory, options));
      writeJsonlAtomic(flags.out, records);
      process.stdout.write(`wrote ${records.length} ${flags.format} records → ${flags.out}\n`);
    });
}
