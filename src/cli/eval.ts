/**
 * `drkit eval`: run an agent over a benchmark (k rollouts per question, resumable), judge the answers and
 * write reports; `drkit eval report <run-dir>` rebuilds the reports; `drkit eval compare <run-dir...>`.
 */
import { join } from "node:path";
import type { Command } from "commander";
import { summarizerFor, tokenPathFor } from "../agent/from-config.js";
import { runEpisode } from "../agent/heavy-mode.js";
import { PROTOCOL_NAMES, type ProtocolName } from "../agent/types.js";
import { resolveEndpoint } from "../core/config.js";
import { InputError } from "../core/errors.js";
import { withoutCredentials } from "../core/redact.js";
import { openCorpus } from "../corpus/sqlite-corpus.js";
import { loadBenchmark } from "../data/load.js";
import { attachmentOf } from "../data/question.js";
import { createJudge, JsonlVerdictCache, JUDGE_NAMES } from "../eval/judges/judge.js";
import { compareRuns, writeRunReport } from "../eval/report.js";
import type { EvalManifest } from "../eval/run-store.js";
import { type Rollout, runEvaluation } from "../eval/runner.js";
import { createChatModel } from "../llm/from-config.js";
import { createReward, REWARD_NAMES } from "../reward/rewards.js";
import { createFileAndCodeTools, questionWithAttachment } from "../tools/file-and-code-tools.js";
import { PageExtractor } from "../tools/page-extractor.js";
import { HttpPageReader } from "../tools/page-reader.js";
import { CorpusSearchProvider } from "../tools/search/corpus-provider.js";
import { createScholarTool, createSearchProvider } from "../tools/search/create-provider.js";
import { SearchTool } from "../tools/search/search-tool.js";
import type { Tool } from "../tools/tool.js";
import { createVisitTool, parseVisitSource } from "../tools/visit-source.js";
import { type AgentFlags, addAgentOptions, checkContextOptions, heavyModeFrom } from "./agent-options.js";
import { configFrom, integerOption, numberOption, positiveIntegerOption, printJson } from "./context.js";

interface EvalOptions extends AgentFlags {
  benchmark: string;
  file?: string;
  format?: "jsonl" | "json" | "csv" | "parquet" | "xlsx";
  filter?: string[];
  sample?: number;
  seed: number;
  limit?: number;
  corpus?: string;
  search?: string;
  visit?: string;
  topk?: number;
  protocol: string;
  model?: string;
  tokenizer?: string;
  baseUrl?: string;
  apiKey?: string;
  temperature?: number;
  maxTurns: number;
  maxTokens?: number;
  k: number;
  concurrency: number;
  judge?: string;
  judgeModel?: string;
  judgeBaseUrl?: string;
  reward?: string;
  runDir?: string;
  itemTimeout?: number;
  retryErrors?: boolean;
  quiet?: boolean;
  json?: boolean;
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, "").replace(/\..*$/, "").replace("T", "-");
}

export function registerEvalCommand(program: Command): void {
  const evaluate = program
    .command("eval")
    .description("Evaluate an agent on a benchmark: k rollouts per question, judged, resumable, with reports")
    .option("--benchmark <name|file>", "benchmark name (see drkit data list) or a question file")
    .option("--file <path>", "data file for a benchmark that is not bundled (gaia, hle, browsecomp, deepresearch-9k)")
    .option("--format <format>", "format of --benchmark/--file (jsonl, json, csv, parquet, xlsx)")
    .option("--filter <key=value...>", "only questions matching (e.g. level=3, source=nq)")
    .option("--sample <n>", "draw n questions at random (with --seed)", integerOption("sample"))
    .option("--seed <n>", "seed for --sample", integerOption("seed"), 0)
    .option("--limit <n>", "only the first n questions", positiveIntegerOption("limit"))
    .option("--corpus <name>", "search a local corpus (drkit corpus build)")
    .option("--search <provider>", "search provider: corpus, retrieve[:url], serper, searxng, brave, tavily, jina")
    .option(
      "--visit <source>",
      "where visit reads pages: web, corpus:NAME, or access:URL (a retrieval server's /access: offline); default: the search corpus, else the web",
    )
    .option("--topk <n>", "search results per query", integerOption("topk"))
    .option("--protocol <name>", `agent protocol: ${PROTOCOL_NAMES.join(", ")}`, "react")
    .option("--model <name>", "agent model (else config / DRKIT_MODEL)")
    .option("--base-url <url>", "OpenAI-compatible base URL of the agent model")
    .option("--api-key <key>", "API key of the agent model (env OPENAI_API_KEY / DRKIT_API_KEY)")
    .option("--temperature <t>", "sampling temperature", numberOption("temperature"))
    .option("--max-turns <n>", "most model calls per rollout", integerOption("max-turns"), 30)
    .option("--max-tokens <n>", "max_tokens per model call", integerOption("max-tokens"))
    .option(
      "--tokenizer <dir|hub-id>",
      "the model's tokenizer (HF snapshot dir or hub id in the local HF cache): token-in/token-out via /v1/completions with its chat template; trajectories carry exact token views",
    )
    .option("--k <n>", "rollouts per question (Avg@k, Pass@k, Cons@k)", integerOption("k"), 1)
    .option("--concurrency <n>", "rollouts in flight", integerOption("concurrency"), 4)
    .option(
      "--judge <name>",
      `LLM judge: ${JUDGE_NAMES.join(", ")}, auto (the benchmark's usual judge) or none`,
      "none",
    )
    .option(
      "--judge-model <name>",
      "judge model (else config.judge / DRKIT_JUDGE_MODEL, falling back to the agent model)",
    )
    .option("--judge-base-url <url>", "judge endpoint")
    .option(
      "--reward <name>",
      `store this reward on each trajectory instead of plain EM: ${REWARD_NAMES.join(", ")} (webdancer and judge need --judge); accuracy and EM are computed as without it`,
    )
    .option(
      "--run-dir <dir>",
      "run directory (default $DRKIT_HOME/runs/<benchmark>-<time>); an existing one is resumed",
    )
    .option("--item-timeout <seconds>", "wall clock per rollout", numberOption("item-timeout"))
    .option("--retry-errors", "when resuming, run again the rollouts stored with termination error")
    .option("--quiet", "no progress bar")
    .option("--json", "print the metrics as JSON");
  addAgentOptions(evaluate).action(async (options: EvalOptions, command: Command) => {
    if (!options.benchmark) throw new InputError("--benchmark is required (a benchmark name or a question file)");
    if (!PROTOCOL_NAMES.includes(options.protocol as ProtocolName))
      throw new InputError(`--protocol must be one of ${PROTOCOL_NAMES.join(", ")}`);
    if (options.k < 1) throw new InputError("--k must be at least 1");
    checkContextOptions(options);
    const protocol = options.protocol as ProtocolName;
    const config = configFrom(command, {
      model: {
        ...(options.model ? { model: options.model } : {}),
        ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
        ...(options.apiKey ? { apiKey: options.apiKey } : {}),
        ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
        ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}),
      },
      judge: {
        ...(options.judgeModel ? { model: options.judgeModel } : {}),
        ...(options.judgeBaseUrl ? { baseUrl: options.judgeBaseUrl } : {}),
      },
    });
    const loaded = await loadBenchmark(options.benchmark, {
      ...(options.file ? { file: options.file } : {}),
      ...(options.format ? { format: options.format } : {}),
      ...(options.filter ? { filter: options.filter } : {}),
      ...(options.sample !== undefined ? { sample: options.sample, seed: options.seed } : {}),
      ...(options.limit !== undefined ? { limit: options.limit } : {}),
    });
    if (loaded.questions.length === 0) throw new InputError("no questions selected; check --filter / --limit");
    let judgeName = options.judge ?? "none";
    if (judgeName === "auto")
      judgeName = loaded.spec?.scoring === "judge" ? (loaded.spec.judge ?? "equivalence") : "none";
    if (judgeName !== "none" && !JUDGE_NAMES.includes(judgeName))
      throw new InputError(`unknown --judge "${judgeName}"; choose ${JUDGE_NAMES.join(", ")}, auto or none`);

    if (options.reward !== undefined) {
      createReward(options.reward); // an unknown name fails here, before any rollout
      if ((options.reward === "webdancer" || options.reward === "judge") && judgeName === "none")
        throw new InputError(`--reward ${options.reward} scores answers with an LLM judge: add --judge <name>`);
    }

    const providerName = options.search ?? (options.corpus ? "corpus" : config.search.provider);
    const corpusName = options.corpus ?? config.search.corpus;
    if (!providerName)
      throw new InputError("choose where the agent searches: --corpus <name> (local) or --search <provider>");
    const model = createChatModel(config, { role: "model" });
    const token = options.tokenizer ? tokenPathFor(model, options.tokenizer) : undefined;
    const summarizer = summarizerFor(config, options.summarizeAt);
    const heavy = heavyModeFrom(options, model);
    const provider = createSearchProvider({ provider: providerName, corpus: corpusName, home: config.home });
    const tools: Tool[] = [
      new SearchTool({
        provider,
        style: protocol === "search-r1" ? "search-r1" : "tongyi",
        ...(options.topk ? { topk: options.topk } : {}),
      }),
    ];
    if (protocol !== "search-r1" && options.scholar) tools.push(createScholarTool());
    const attachments = loaded.questions.map(attachmentOf).filter((file): file is string => file !== undefined);
    if (protocol !== "search-r1")
      tools.push(
        ...createFileAndCodeTools({
          python: options.python ?? false,
          ...(options.readFile ? { readFileRoots: options.readFile } : {}),
          attachments,
        }),
      );
    else if (options.python || options.readFile || attachments.length > 0)
      throw new InputError(
        "search-r1 offers search only: run --python, --read-file and benchmarks with attached files (gaia) with --protocol react or tools",
      );
    if (protocol !== "search-r1")
      tools.push(
        createVisitTool(options.visit ? parseVisitSource(options.visit) : undefined, {
          ...(provider instanceof CorpusSearchProvider ? { searchCorpus: provider.corpus } : {}),
          openCorpus: (name) => openCorpus(name, { home: config.home }),
          webReader: () => new HttpPageReader(),
          extractor: () => new PageExtractor({ model: createChatModel(config, { role: "extractor" }) }),
        }),
      );
    const runDirectory = options.runDir ?? join(config.home, "runs", `${loaded.name}-${timestamp()}`);
    const judgeEndpoint = judgeName !== "none" ? resolveEndpoint(config, "judge") : undefined;
    const judge =
      judgeName !== "none"
        ? createJudge(judgeName, createChatModel(config, { role: "judge" }), {
            cache: new JsonlVerdictCache(join(runDirectory, "verdicts.jsonl")),
          })
        : undefined;
    const manifest: EvalManifest = {
      version: 1,
      benchmark: loaded.name,
      selection: {
        file: options.file ?? null,
        filter: options.filter ?? [],
        sample: options.sample ?? null,
        seed: options.sample !== undefined ? options.seed : null,
        limit: options.limit ?? null,
      },
      questionIds: loaded.questions.map((question) => question.id),
      k: options.k,
      protocol,
      model: config.model.model ?? null,
      baseUrl: config.model.baseUrl ? withoutCredentials(config.model.baseUrl) : null,
      search: providerName === "corpus" ? `corpus:${corpusName}` : providerName,
      judge: judgeName === "none" ? null : judgeName,
      judgeModel: judgeEndpoint?.model ?? null,
      ...(options.reward !== undefined ? { reward: options.reward } : {}),
      settings: {
        maxTurns: options.maxTurns,
        temperature: config.model.temperature ?? null,
        maxTokens: config.model.maxTokens ?? null,
        topk: options.topk ?? null,
        ...(options.tokenizer ? { tokenizer: options.tokenizer } : {}),
        ...(options.keepToolResults ? { keepToolResults: options.keepToolResults } : {}),
        ...(options.summarizeAt ? { summarizeAt: options.summarizeAt } : {}),
        ...(options.visit ? { visit: options.visit } : {}),
        ...(options.scholar ? { scholar: true } : {}),
        ...(options.python ? { python: true } : {}),
        ...(options.readFile ? { readFile: options.readFile } : {}),
        ...(heavy ? { parallel: heavy.parallel, aggregate: heavy.aggregate } : {}),
      },
      createdAt: new Date().toISOString(),
    };
    const rollout: Rollout = (question, sample, signal) =>
      runEpisode(heavy, {
        question: questionWithAttachment(question.question, attachmentOf(question)),
        questionId: question.id,
        goldAnswers: question.goldAnswers,
        protocol,
        ...(token ? { token } : { model }),
        tools,
        sample,
        signal,
        limits: {
          maxTurns: options.maxTurns,
          ...(options.maxTokens !== undefined ? { maxTokensPerTurn: options.maxTokens } : {}),
        },
        metadata: { benchmark: loaded.name },
        ...(options.keepToolResults ? { context: { strategy: "keep-last-k", k: options.keepToolResults } } : {}),
        ...(options.summarizeAt ? { context: { strategy: "summarize", thresholdTokens: options.summarizeAt } } : {}),
        ...(summarizer ? { summarizer } : {}),
      });
    const controller = new AbortController();
    const onSignal = () => controller.abort(new Error("interrupted"));
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    let summary: Awaited<ReturnType<typeof runEvaluation>>;
    try {
      summary = await runEvaluation({
        runDirectory,
        manifest,
        questions: loaded.questions,
        k: options.k,
        concurrency: options.concurrency,
        rollout,
        ...(judge ? { judge } : {}),
        ...(options.reward !== undefined ? { reward: createReward(options.reward, judge ? { judge } : {}) } : {}),
        ...(options.itemTimeout !== undefined ? { itemTimeoutMs: options.itemTimeout * 1000 } : {}),
        signal: controller.signal,
        quiet: options.quiet === true,
        retryErrors: options.retryErrors === true,
      });
    } finally {
      process.removeListener("SIGINT", onSignal);
      process.removeListener("SIGTERM", onSignal);
      await summarizer?.close();
    }
    const report = writeRunReport(runDirectory);
    if (options.json) {
      printJson({
        summary,
        overall: report.overall,
        em: report.em,
        agent: report.agent,
        ...(report.reward ? { reward: report.reward } : {}),
      });
      return;
    }
    const { overall } = report;
    process.stdout.write(
      `${loaded.name}: ${summary.completed} rollouts run, ${summary.skipped} already done, ${summary.errors} errors` +
        `${summary.interrupted && !summary.stoppedEarly ? `, ${summary.interrupted} interrupted (run the same command to resume)` : ""}\n` +
        (summary.firstError ? `  first error: ${summary.firstError}\n` : "") +
        (summary.stoppedEarly
          ? `  stopped early: the first ${summary.completed} rollouts all failed with that error; fix it and run the same command to resume (${summary.interrupted} left)\n`
          : "") +
        `  correctness by ${report.scoredBy}: Pass@1 ${(overall.pass1 * 100).toFixed(1)}  Avg@${manifest.k} ${(overall.avgAtK * 100).toFixed(1)}  ${overall.k > 1 ? `Pass@${overall.k} ${((overall.passAtK[String(overall.k)] ?? 0) * 100).toFixed(1)}  ` : ""}Cons@${manifest.k} ${(overall.consAtK * 100).toFixed(1)}  EM ${(report.em.avgAtK * 100).toFixed(1)}${overall.unscored ? `  (${overall.unscored} unscored: judge errors)` : ""}\n` +
        (report.reward
          ? `  reward ${report.reward.name}: mean ${report.reward.mean.toFixed(3)} over ${report.reward.count} rollouts\n`
          : "") +
        `  report: ${join(runDirectory, "report.md")} and report.html\n`,
    );
    if (summary.stoppedEarly || (summary.completed > 0 && summary.errors === summary.completed)) process.exitCode = 1;
    else if (summary.interrupted) process.exitCode = 130;
  });

  evaluate
    .command("report")
    .description("Rebuild report.md, report.html and metrics.json of a run directory")
    .argument("<run-dir>", "eval run directory")
    .option("--json", "print the metrics as JSON")
    .action((runDirectory: string, options: { json?: boolean }) => {
      const report = writeRunReport(runDirectory);
      if (options.json) printJson(report);
      else
        process.stdout.write(
          `wrote ${join(runDirectory, "report.md")} and report.html (${report.progress.stored} rollouts)\n`,
        );
    });

  evaluate
    .command("compare")
    .description("Compare eval runs side by side (markdown table)")
    .argument("<run-dirs...>", "eval run directories")
    .action((runDirectories: string[]) => {
      process.stdout.write(compareRuns(runDirectories));
    });
}
