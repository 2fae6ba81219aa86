/** `drkit synth multihop|e2h|crawl`: synthesize hard, verifiable research questions. */
import type { Command } from "commander";
import { runAgent } from "../agent/run-agent.js";
import { UsageTracker } from "../core/budget.js";
import { InputError } from "../core/errors.js";
import { buildCorpus } from "../corpus/build.js";
import { openCorpus } from "../corpus/sqlite-corpus.js";
import { loadBenchmark } from "../data/load.js";
import { createChatModel } from "../llm/from-config.js";
import { AgentReferenceSolver } from "../synth/agent-solver.js";
import { type CollectedPage, crawlSite, pagesFromFile } from "../synth/crawl.js";
import { generateCrawlQuestions } from "../synth/crawl-questions.js";
import { LlmE2hRewriter, RuleE2hRewriter, synthesizeE2h } from "../synth/e2h.js";
import { writeJsonl } from "../synth/export.js";
import { LlmUniquenessJudge } from "../synth/llm-judge.js";
import { LlmObfuscator } from "../synth/llm-obfuscator.js";
import { synthesizeMultihop } from "../synth/multihop.js";
import { RuleObfuscator } from "../synth/obfuscate.js";
import { formatReport } from "../synth/report.js";
import type { Level } from "../synth/types.js";
import { createSearchProvider } from "../tools/search/create-provider.js";
import { SsrfGuard } from "../tools/ssrf-guard.js";
import { configFrom, integerOption, numberOption, positiveIntegerOption } from "./context.js";

export function parseLevels(value: string): Level[] {
  const levels = value.split(",").map((part) => Number(part.trim()));
  if (levels.length === 0 || levels.some((level) => level !== 1 && level !== 2 && level !== 3))
    throw new InputError(`--levels takes a comma-separated list of 1, 2, 3; got "${value}"`);
  return [...new Set(levels)].sort() as Level[];
}

/** Abort on SIGINT/SIGTERM so stage files are closed cleanly (a SIGKILL is also safe: every line is durable). */
export function abortOnSignals(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  return {
    signal: controller.signal,
    dispose() {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}

interface ModelFlags {
  baseUrl?: string;
  model?: string;
  maxCost?: number;
}

export function modelOverrides(options: ModelFlags) {
  return { model: { baseUrl: options.baseUrl, model: options.model } };
}

export function registerSynthCommand(program: Command): void {
  const synth = program.command("synth").description("Synthesize hard, verifiable research questions");

  synth
    .command("multihop")
    .description(
      "Multi-hop QA (HotpotQA, MuSiQue, 2Wiki) → obfuscated questions at levels L1–L3, verified and calibrated",
    )
    .requiredOption("--from <file>", "multi-hop questions with supporting paragraphs (JSONL or JSON list)")
    .requiredOption("--corpus <name>", "corpus holding the evidence paragraphs (drkit corpus build)")
    .requiredOption(
      "--out <file>",
      "output JSONL of kept records (parquet, DeepResearch-9K and report files next to it)",
    )
    .option("--obfuscator <kind>", "rule (no model) or llm", "rule")
    .option("--levels <list>", "levels to produce", "1,2,3")
    .option("--limit <n>", "first N source questions only", positiveIntegerOption("limit"))
    .option("--seed <n>", "seed for calibration sampling and model calls", integerOption("seed"), 0)
    .option("--topk <n>", "hits per search for the oracle and calibration", integerOption("topk"), 5)
    .option("--rollouts <n>", "calibration rollouts per item", integerOption("rollouts"), 4)
    .option(
      "--variants <n>",
      "rewrites tried per question and level, in order, until one passes every check",
      positiveIntegerOption("variants"),
      4,
    )
    .option("--keep-trivial", "keep items the reference solves every time")
    .option("--judge", "check uniqueness with the judge model (config `judge`, falls back to `model`)")
    .option("--agent", "calibrate with --rollouts real ReAct agent rollouts on the corpus (needs a model)")
    .option("--max-turns <n>", "turn limit of each calibration rollout", integerOption("max-turns"), 12)
    .option("--base-url <url>", "OpenAI-compatible endpoint for --obfuscator llm / --judge")
    .option("--model <name>", "model name for --obfuscator llm / --judge")
    .option("--max-cost <usd>", "stop when model spending passes this", numberOption("max-cost"))
    .option("--quiet", "no progress output")
    .option("--json", "print the report as JSON")
    .action(async (options, command: Command) => {
      const config = configFrom(command, modelOverrides(options));
      const levels = parseLevels(options.levels);
      if (options.obfuscator !== "rule" && options.obfuscator !== "llm")
        throw new InputError(`--obfuscator must be rule or llm, got "${options.obfuscator}"`);
      const tracker = new UsageTracker(options.maxCost !== undefined ? { maxCostUsd: options.maxCost } : {});
      const rule = new RuleObfuscator();
      const obfuscator =
        options.obfuscator === "llm"
          ? new LlmObfuscator({
              model: createChatModel(config, { cache: true }),
              tracker,
              fallback: rule,
              seed: options.seed,
            })
          : rule;
      const judge = options.judge
        ? new LlmUniquenessJudge(createChatModel(config, { role: "judge", cache: true }), tracker)
        : undefined;
      const corpus = openCorpus(options.corpus, { home: config.home });
      const solver = options.agent
        ? new AgentReferenceSolver({
            model: createChatModel(config, { cache: true }),
            corpus,
            runAgent,
            rollouts: options.rollouts,
            maxTurns: options.maxTurns,
            seed: options.seed,
            tracker,
          })
        : undefined;
      const abort = abortOnSignals();
      try {
        const { report, files } = await synthesizeMultihop({
          solver,
          from: options.from,
          corpus,
          out: options.out,
          obfuscator,
          levels,
          limit: options.limit,
          seed: options.seed,
          topk: options.topk,
          rollouts: options.rollouts,
          keepTrivial: options.keepTrivial === true,
          variants: options.variants,
          judge,
          tracker,
          quiet: options.quiet === true,
          signal: abort.signal,
        });
        if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        else {
          const kept =
            report.kept > 0
              ? `wrote ${files.records} (${report.kept} kept), ${files.parquet}, ${files.dr9k}, ${files.dr9kParquet}`
              : `no item was kept, so ${files.records} was not written (the drop reasons are above)`;
          process.stdout.write(
            `${formatReport(report)}\n\n${kept}\nreport: ${files.report}\nstage files: ${files.work}/\n`,
          );
        }
      } finally {
        abort.dispose();
        corpus.close();
      }
    });

  synth
    .command("e2h")
    .description("E2HQA: rewrite entities of SimpleQA-style questions into descriptions, round by round (answer fixed)")
    .requiredOption(
      "--from <benchmark>",
      "seed questions: a benchmark name (simpleqa) or a file (CSV/JSONL/JSON with question + answer)",
    )
    .requiredOption("--out <file>", "output JSONL: one line per round, round 0 = the seed")
    .option("--corpus <name>", "search this local corpus (default search provider: corpus)")
    .option(
      "--search <provider>",
      "search provider: corpus, retrieve[:url], serper, searxng, brave, tavily, jina",
      "corpus",
    )
    .option("--rounds <n>", "rewrites per seed", integerOption("rounds"), 3)
    .option("--rewriter <kind>", "llm (falls back to rule) or rule", "rule")
    .option("--topk <n>", "search results per query", integerOption("topk"), 5)
    .option("--limit <n>", "first N seeds only", positiveIntegerOption("limit"))
    .option("--seed <n>", "seed for entity choice and model calls", integerOption("seed"), 0)
    .option("--base-url <url>", "OpenAI-compatible endpoint for --rewriter llm")
    .option("--model <name>", "model name for --rewriter llm")
    .option("--max-cost <usd>", "stop when model spending passes this", numberOption("max-cost"))
    .option("--quiet", "no progress output")
    .action(async (options, command: Command) => {
      const config = configFrom(command, modelOverrides(options));
      if (options.rewriter !== "rule" && options.rewriter !== "llm")
        throw new InputError(`--rewriter must be rule or llm, got "${options.rewriter}"`);
      const loaded = await loadBenchmark(options.from, { limit: options.limit });
      const seeds = loaded.questions
        .filter((question) => question.goldAnswers[0] !== undefined)
        .map((question) => ({
          id: question.id,
          question: question.question,
          answer: question.goldAnswers[0] as string,
        }));
      const tracker = new UsageTracker(options.maxCost !== undefined ? { maxCostUsd: options.maxCost } : {});
      const search = createSearchProvider({ provider: options.search, corpus: options.corpus, home: config.home });
      const rule = new RuleE2hRewriter();
      const rewriter =
        options.rewriter === "llm"
          ? new LlmE2hRewriter(createChatModel(config, { cache: true }), { tracker, seed: options.seed })
          : rule;
      const abort = abortOnSignals();
      try {
        const summary = await synthesizeE2h({
          seeds,
          search,
          out: options.out,
          rounds: options.rounds,
          rewriter,
          fallback: rewriter === rule ? undefined : rule,
          topk: options.topk,
          seed: options.seed,
          tracker,
          quiet: options.quiet === true,
          signal: abort.signal,
        });
        const reached = summary.reached.map((n, round) => `R${round}: ${n}`).join(", ");
        const stopped =
          Object.entries(summary.stopped)
            .map(([reason, n]) => `${reason} ×${n}`)
            .join(", ") || "none";
        process.stdout.write(
          `seeds ${summary.seeds}; questions per round: ${reached}\nstopped early: ${stopped}\nusage: ${tracker.usage.llmCalls} model calls, ${tracker.usage.toolCalls} searches, $${tracker.usage.costUsd.toFixed(4)}\nwrote ${options.out} (${summary.records} lines)\n`,
        );
      } finally {
        abort.dispose();
      }
    });

  synth
    .command("crawl")
    .description(
      "CrawlQA: crawl sites (or walk a local page graph) and generate COUNT / MULTI-HOP / INTERSECTION questions",
    )
    .requiredOption("--out <file>", "output JSONL of questions (collected pages go to <out>.pages.jsonl)")
    .option("--root <urls...>", "root URLs to crawl (robots.txt respected, same site)")
    .option("--pages <file>", "offline: a KILT-style JSONL of pages (e.g. data/wiki_sample/kilt_sample_100.jsonl)")
    .option("--depth <n>", "link depth from the roots", integerOption("depth"), 2)
    .option("--max-pages <n>", "pages to collect", integerOption("max-pages"), 50)
    .option("--delay <ms>", "minimum delay between requests to one host", integerOption("delay"), 1000)
    .option("--any-site", "follow links to other hosts too")
    .option("--allow-private", "allow private-network addresses (intranet crawl)")
    .option("--count <n>", "questions to generate", integerOption("count"), 20)
    .option("--collect-only", "only collect pages; no model needed")
    .option("--topk <n>", "hits per search in the solvability check", integerOption("topk"), 5)
    .option("--keep-trivial", "keep questions one search over the pages already answers")
    .option("--judge", "check uniqueness with the judge model")
    .option("--seed <n>", "seed for page-group sampling and model calls", integerOption("seed"), 0)
    .option("--base-url <url>", "OpenAI-compatible endpoint for question generation")
    .option("--model <name>", "model name for question generation")
    .option("--max-cost <usd>", "stop when model spending passes this", numberOption("max-cost"))
    .option("--quiet", "no progress output")
    .action(async (options, command: Command) => {
      const config = configFrom(command, modelOverrides(options));
      if (!options.root && !options.pages)
        throw new InputError("give --root <url...> to crawl or --pages <file> for a local page graph");
      const abort = abortOnSignals();
      const tracker = new UsageTracker(options.maxCost !== undefined ? { maxCostUsd: options.maxCost } : {});
      try {
        let pages: CollectedPage[];
        if (options.pages) pages = pagesFromFile(options.pages, { maxPages: options.maxPages });
        else {
          const guard = new SsrfGuard({ allowPrivate: options.allowPrivate === true });
          try {
            const summary = await crawlSite({
              roots: options.root,
              directory: `${options.out}.crawl`,
              guard,
              maxDepth: options.depth,
              maxPages: options.maxPages,
              delayMs: options.delay,
              sameSite: options.anySite !== true,
              quiet: options.quiet === true,
              signal: abort.signal,
            });
            pages = summary.pages;
            process.stderr.write(
              `crawl: ${summary.fetched} pages, ${summary.failed} failed, ${summary.disallowed} disallowed by robots.txt, ${summary.queued} left in the frontier\n`,
            );
          } finally {
            await guard.close();
          }
        }
        const pagesFile = `${options.out.replace(/\.jsonl$/, "")}.pages.jsonl`;
        writeJsonl(pagesFile, pages);
        if (options.collectOnly) {
          process.stdout.write(`collected ${pages.length} pages → ${pagesFile}\n`);
          return;
        }
        const model = createChatModel(config, { cache: true });
        // A search index of the collected pages, for the solvability check and calibration.
        const indexHome = `${options.out}.crawl`;
        await buildCorpus({ name: "pages", from: [pagesFile], format: "jsonl", home: indexHome, quiet: true });
        const pageIndex = openCorpus("pages", { home: indexHome });
        const judge = options.judge
          ? new LlmUniquenessJudge(createChatModel(config, { role: "judge", cache: true }), tracker)
          : undefined;
        const { records } = await generateCrawlQuestions({
          pages,
          model,
          out: options.out,
          count: options.count,
          seed: options.seed,
          judge,
          corpus: pageIndex,
          topk: options.topk,
          keepTrivial: options.keepTrivial === true,
          tracker,
          quiet: options.quiet === true,
          signal: abort.signal,
        }).finally(() => pageIndex.close());
        const kept = records.filter((record) => record.kept).length;
        const byType = records.reduce<Record<string, number>>((counts, record) => {
          if (record.kept) counts[record.type] = (counts[record.type] ?? 0) + 1;
          return counts;
        }, {});
        process.stdout.write(
          `pages ${pages.length}; questions ${records.length}, kept ${kept} (${
            Object.entries(byType)
              .map(([type, n]) => `${type} ${n}`)
              .join(", ") || "none"
          })\nusage: ${tracker.usage.llmCalls} model calls, ${tracker.usage.totalTokens} tokens, $${tracker.usage.costUsd.toFixed(4)}\nwrote ${options.out}, ${pagesFile}\n`,
        );
      } finally {
        abort.dispose();
      }
    });
}
