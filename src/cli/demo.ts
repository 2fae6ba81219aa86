/**
 * `drkit demo`: the offline tour on the bundled data, no keys and no network. Each step runs a real drkit
 * command (printed first, so it can be copied) or, for the retrieval server, the library call behind it.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { DrkitError } from "../core/errors.js";
import { readJsonlRecords } from "../core/jsonl-store.js";
import { openCorpus } from "../corpus/index.js";
import { startRetrievalServer } from "../serve/retrieval-server.js";
import { integerOption } from "./context.js";

interface DemoOptions {
  out: string;
  sftSteps: number;
  rlSteps: number;
  synthLimit: number;
}

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

function banner(step: number, total: number, title: string): void {
  process.stdout.write(`\n\u001b[1m[${step}/${total}] ${title}\u001b[0m\n`);
}

/** Runs `drkit <args>` as a child process of the same entry point (compiled CLI or tsx source). */
function drkit(args: string[], home: string): void {
  process.stdout.write(`$ drkit ${args.map((arg) => (/[\s"']/.test(arg) ? JSON.stringify(arg) : arg)).join(" ")}\n`);
  const entry = process.argv[1];
  if (!entry) throw new DrkitError("input", "cannot find the drkit entry script to run the demo steps");
  const result = spawnSync(process.execPath, [...process.execArgv, entry, "--home", home, ...args], {
    stdio: "inherit",
    cwd: process.cwd(),
  });
  if (result.status !== 0) {
    throw new DrkitError("input", `demo step failed (exit ${result.status ?? result.signal}): drkit ${args.join(" ")}`);
  }
}

async function retrievalStep(home: string, corpusName: string): Promise<void> {
  const corpus = openCorpus(corpusName, { home });
  const server = await startRetrievalServer(corpus, { port: 0 });
  try {
    const body = { queries: ["Ed Wood film director", "Scott Derrickson"], topk: 2, return_scores: true };
    process.stdout.write(`POST ${server.url}/retrieve ${JSON.stringify(body)}\n`);
    const response = await fetch(`${server.url}/retrieve`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const json = (await response.json()) as {
      result: Array<Array<{ document: { id: string; contents: string }; score: number }>>;
    };
    json.result.forEach((hits, index) => {
      process.stdout.write(`  query ${index + 1}: ${body.queries[index]}\n`);
      for (const hit of hits) {
        const title = hit.document.contents.split("\n", 1)[0];
        process.stdout.write(`    ${hit.score.toFixed(2)}  ${title}  (${hit.document.id})\n`);
      }
    });
  } finally {
    await server.close();
    corpus.close();
  }
}

/** The value of `key` in the last record of a JSONL file that has it (the demo's steps have finished writing). */
function lastMetric(file: string, key: string): number | undefined {
  const records = readJsonlRecords<Record<string, unknown>>(file);
  const value = records.findLast((record) => typeof record[key] === "number")?.[key];
  return value as number | undefined;
}

export async function runDemo(options: DemoOptions, home: string): Promise<void> {
  const out = resolve(options.out);
  mkdirSync(out, { recursive: true });
  const corpusName = "demo-hotpotqa";
  const data = (path: string) => join(packageRoot, "data", path);
  const total = 7;
  const started = Date.now();

  banner(1, total, "Build a BM25 corpus from the bundled HotpotQA paragraphs (SQLite FTS5)");
  drkit(["corpus", "build", corpusName, "--from", data("hotpotqa/corpus.jsonl")], home);

  banner(2, total, "Search it");
  drkit(["corpus", "search", corpusName, "Which country is Scott Derrickson from?", "--topk", "3"], home);

  banner(3, total, "Serve it over the Search-R1 / verl /retrieve contract and query it over HTTP");
  await retrievalStep(home, corpusName);

  banner(4, total, "Synthesize verified L1–L3 questions by progressive entity obfuscation (rule-based, no model)");
  const synthOut = join(out, "synth", "hotpotqa.jsonl");
  drkit(
    [
      "synth",
      "multihop",
      "--from",
      data("hotpotqa/questions.jsonl"),
      "--corpus",
      corpusName,
      "--limit",
      String(options.synthLimit),
      "--out",
      synthOut,
    ],
    home,
  );

  banner(5, total, "Masked SFT of a small in-process policy on chain-following search-r1 demonstrations");
  const sftDir = join(out, "sft");
  drkit(
    [
      "sft",
      "--policy",
      "micro",
      "--steps",
      String(options.sftSteps),
      "--run-dir",
      sftDir,
      "--seed",
      "1",
      "--eval-every",
      String(options.sftSteps),
      "--eval-size",
      "32",
    ],
    home,
  );

  banner(6, total, "GRPO on multi-turn rollouts in token space, starting from the SFT checkpoint");
  const grpoDir = join(out, "grpo");
  drkit(
    [
      "train",
      "--algo",
      "grpo",
      "--init",
      join(sftDir, "checkpoint"),
      "--steps",
      String(options.rlSteps),
      "--run-dir",
      grpoDir,
      "--seed",
      "1",
      "--prompts-per-step",
      "4",
      "--group-size",
      "4",
      "--save-rollouts",
      "--eval-every",
      String(options.rlSteps),
      "--eval-size",
      "32",
    ],
    home,
  );

  banner(7, total, "Filter the rollouts and export the correct ones for SFT with loss masks");
  const kept = join(out, "collect", "kept.jsonl");
  drkit(["collect", "filter", "--in", join(grpoDir, "rollouts.jsonl"), "--out", kept], home);
  drkit(
    ["collect", "export", "--in", kept, "--format", "sft-chatml", "--out", join(out, "collect", "sft.jsonl")],
    home,
  );

  const afterSft = lastMetric(join(sftDir, "eval.jsonl"), "exact_match");
  const afterGrpo = lastMetric(join(grpoDir, "eval.jsonl"), "exact_match");
  const format = (value: number | undefined) => (value === undefined ? "n/a" : value.toFixed(3));
  process.stdout.write(
    `\nDemo finished in ${((Date.now() - started) / 1000).toFixed(0)} s. Artefacts are in ${out}.\n` +
      `Held-out exact match of the in-process policy (32 questions): after SFT ${format(afterSft)}, after ${options.rlSteps} GRPO steps ${format(afterGrpo)}.\n` +
      "These few steps exercise the machinery; docs/training.md has the longer learning-check runs.\n" +
      `Browse the rollouts:  npx drkit view ${join(grpoDir, "rollouts.jsonl")}\n`,
  );
}

export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description("offline tour on the bundled data: corpus, search, /retrieve, synthesis, SFT + GRPO, export")
    .option("--out <dir>", "where the demo writes its artefacts", "runs/demo")
    .option("--sft-steps <n>", "SFT steps of the in-process policy", integerOption("sft-steps"), 100)
    .option("--rl-steps <n>", "GRPO steps", integerOption("rl-steps"), 6)
    .option("--synth-limit <n>", "HotpotQA questions to synthesize from", integerOption("synth-limit"), 40)
    .action(async (options: DemoOptions, command: Command) => {
      const root = command.optsWithGlobals() as { home?: string };
      const home = resolve(root.home ?? process.env.DRKIT_HOME ?? ".drkit");
      await runDemo(options, home);
    });
}
