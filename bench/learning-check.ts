/**
 * The learning check: does the RL machinery raise held-out exact match over an SFT start?
 *
 * Task (src/rl/tasks/lookup-task.ts): "what is the first word of <title>?"; searching the title returns
 * four fields (first … fourth) whose values are drawn per question from the passage's words in a closed
 * answer vocabulary. For each seed a fresh in-process policy (micro, 0.15M parameters) gets masked SFT
 * on demonstrations of an imperfect teacher (`any-field`: it searches the title and answers with a
 * random one of the four fields, so SFT learns the chain and the copying but not which field is
 * asked: held-out EM ≈ 0.25). Then, from that same SFT checkpoint:
 *   grpo              GRPO, groups of n = 8
 *   ppo               PPO with GAE and the value head
 *   grpo-unmasked     ablation: observation tokens left in the loss
 *   grpo-group1       ablation: GRPO with groups of one (8× the prompts, same number of samples)
 *   grpo-dr1, grpo-group1-dr1   the same two trained on the DeepResearch-R1 reward (format 0.2, retrieval
 *                     hit +0.1, correct +1.0) instead of EM: groups of one are what its GRPO script ran
 * Held-out exact match (greedy, 48 questions) is measured at the SFT start and during RL. Metrics files
 * land in <out>/<variant>-seed<S>/ (metrics.jsonl, eval.jsonl), with <out>/summary.json, <out>/rows.jsonl
 * and <out>/eval-curves.csv (every held-out evaluation: variant, seed, step, exact match).
 *
 * Rollouts (SFT demonstrations, RL samples, held-out evaluation) all run through the agent loop (runAgent on
 * the token path) under --protocol (search-r1, or react with JSON tool calls (26 tokens a call) in an 80-token context).
 * Run: npx tsx bench/learning-check.ts [--seeds 1,2,3] [--variants grpo,ppo] [--out docs/results/learning-check]
 *      [--sft-only] (only the SFT starts, so that two processes can then share them)
 * Defaults: --sft-steps 300 --rl-steps 100 --group-size 8 --prompts-per-step 8 --lr 1e-3 --eval-size 48.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { ProtocolName } from "../src/agent/types.js";
import { JsonlWriter, readJsonlRecords } from "../src/core/jsonl-store.js";
import { InProcessBackend } from "../src/rl/policy/in-process-backend.js";
import { InProcessPolicy, POLICY_PRESETS } from "../src/rl/policy/in-process-policy.js";
import { WordTokenizer } from "../src/rl/policy/tokenizer.js";
import { loadLookupTask } from "../src/rl/tasks/lookup-task.js";
import { type LookupTeacher, lookupDemonstrations, lookupTrainingTask } from "../src/rl/tasks/lookup-training-task.js";
import { DEFAULT_RL_OPTIONS, type RlOptions, runRl } from "../src/rl/trainer/rl-trainer.js";
import { RunDirectory } from "../src/rl/trainer/run-directory.js";
import { demonstrationTrajectories, runSft } from "../src/rl/trainer/sft.js";

const { values } = parseArgs({
  options: {
    seeds: { type: "string", default: "1,2,3" },
    "sft-steps": { type: "string", default: "300" },
    "rl-steps": { type: "string", default: "100" },
    entities: { type: "string", default: "48" },
    "questions-per-entity": { type: "string", default: "6" },
    "held-out-per-entity": { type: "string", default: "1" },
    "answer-vocabulary": { type: "string", default: "32" },
    "rl-eval-every": { type: "string", default: "20" },
    "sft-eval-every": { type: "string" },
    temperature: { type: "string", default: "1" },
    teacher: { type: "string", default: "any-field" },
    "sft-only": { type: "boolean", default: false },
    "asked-fields": { type: "string", default: "1" },
    policy: { type: "string", default: "micro" },
    variants: { type: "string", default: "grpo,ppo,grpo-unmasked,grpo-group1" },
    out: { type: "string", default: "docs/results/learning-check" },
    "prompts-per-step": { type: "string", default: "8" },
    "group-size": { type: "string", default: "8" },
    "eval-size": { type: "string", default: "48" },
    lr: { type: "string", default: "1e-3" },
    protocol: { type: "string", default: "search-r1" },
  },
});
const seeds = (values.seeds as string).split(",").map(Number);
const sftSteps = Number(values["sft-steps"]);
const rlSteps = Number(values["rl-steps"]);
const out = values.out as string;
const variants = (values.variants as string).split(",");
// Rollouts run through the agent loop under this protocol; react's JSON tool calls need a longer context.
const protocol = values.protocol as ProtocolName;
const maxLength = protocol === "search-r1" ? 48 : 80;
const maxTokensPerTurn = protocol === "search-r1" ? 6 : 32;

const lookup = loadLookupTask({
  corpusPath: "data/hotpotqa/corpus.jsonl",
  entities: Number(values.entities),
  maxTitleWords: 1,
  questionsPerEntity: Number(values["questions-per-entity"]),
  heldOutPerEntity: Number(values["held-out-per-entity"]),
  answerVocabulary: Number(values["answer-vocabulary"]),
  askedFields: Number(values["asked-fields"]),
  seed: 7,
});
const task = lookupTrainingTask(lookup);
const tokenizer = WordTokenizer.fit(lookup.texts());
const preset = POLICY_PRESETS[values.policy as string];
if (!preset) throw new Error(`unknown --policy ${values.policy}`);

const promptsPerStep = Number(values["prompts-per-step"]);
const groupSize = Number(values["group-size"]);
const variantOptions: Record<string, Partial<RlOptions>> = {
  grpo: { algorithm: "grpo" },
  ppo: { algorithm: "ppo" },
  "grpo-unmasked": { algorithm: "grpo", maskObservations: false },
  "grpo-group1": { algorithm: "grpo", groupSize: 1, promptsPerStep: promptsPerStep * groupSize },
  // The DeepResearch-R1 reward (0 / 0.2 format / +0.1 retrieval hit / +1.0 correct), with and without groups.
  "grpo-dr1": { algorithm: "grpo", reward: "deepresearch-r1" },
  "grpo-group1-dr1": {
    algorithm: "grpo",
    groupSize: 1,
    promptsPerStep: promptsPerStep * groupSize,
    reward: "deepresearch-r1",
  },
};

interface Row {
  variant: string;
  seed: number;
  sft: number;
  final: number;
  best: number;
  seconds: number;
}
const rows: Row[] = [];
mkdirSync(out, { recursive: true });
const rowsFile = new JsonlWriter(join(out, "rows.jsonl"));
for (const seed of seeds) {
  // The SFT start is shared by every variant of a seed (and reused by later invocations).
  const sftDir = join(out, `sft-seed${seed}`);
  const sftRun = new RunDirectory(sftDir);
  let sftExactMatch: number;
  if (sftRun.state()?.step === sftSteps) {
    const evals = readJsonlRecords<{ step: number; exact_match: number }>(join(sftDir, "eval.jsonl"));
    sftExactMatch = evals[evals.length - 1]?.exact_match ?? 0;
  } else {
    rmSync(sftDir, { recursive: true, force: true });
    const fresh = new RunDirectory(sftDir);
    const policy = await InProcessPolicy.create({
      config: { ...preset, vocabSize: tokenizer.size, maxLength },
      tokenizer,
      seed,
      microBatch: 16,
    });
    const backend = new InProcessBackend(policy);
    const teacher = values.teacher as LookupTeacher;
    const demos = await demonstrationTrajectories(
      backend,
      task,
      lookupDemonstrations(lookup, { teacher, protocol }),
      protocol,
    );
    const sft = await runSft(
      backend,
      task,
      demos,
      fresh,
      {
        steps: sftSteps,
        batchSize: 16,
        learningRate: 5e-3,
        seed,
        evalEvery: values["sft-eval-every"] ? Number(values["sft-eval-every"]) : sftSteps,
        evalSize: Number(values["eval-size"]),
        maxTurns: 3,
        maxTokensPerTurn,
        protocol,
        checkpointEvery: sftSteps,
        quiet: true,
      },
      0,
    );
    fresh.close();
    sftExactMatch = sft.lastEval?.exact_match ?? 0;
  }
  process.stdout.write(`seed ${seed}: SFT (${sftSteps} steps) held-out EM ${sftExactMatch.toFixed(3)}\n`);
  if (values["sft-only"]) continue;
  for (const variant of variants) {
    const started = Date.now();
    const dir = join(out, `${variant}-seed${seed}`);
    rmSync(dir, { recursive: true, force: true });
    const run = new RunDirectory(dir);
    const start = await InProcessPolicy.load(sftRun.checkpointPath);
    const options: RlOptions = {
      ...DEFAULT_RL_OPTIONS,
      steps: rlSteps,
      learningRate: Number(values.lr),
      seed,
      groupSize,
      promptsPerStep,
      evalEvery: values["rl-eval-every"] ? Number(values["rl-eval-every"]) : rlSteps,
      temperature: Number(values.temperature),
      evalSize: Number(values["eval-size"]),
      checkpointEvery: rlSteps,
      quiet: true,
      protocol,
      maxTokensPerTurn,
      ...variantOptions[variant],
    };
    await runRl(new InProcessBackend(start), task, run, options, 0);
    run.close();
    const evals = readJsonlRecords<{ step: number; exact_match: number }>(join(dir, "eval.jsonl"));
    const final = evals[evals.length - 1]?.exact_match ?? 0;
    const startExactMatch = evals.find((e) => e.step === 0)?.exact_match ?? sftExactMatch;
    const best = Math.max(...evals.map((e) => e.exact_match));
    const seconds = (Date.now() - started) / 1000;
    const row = { variant, seed, sft: startExactMatch, final, best, seconds };
    rows.push(row);
    rowsFile.append(row);
    process.stdout.write(
      `seed ${seed}: ${variant.padEnd(14)} held-out EM ${startExactMatch.toFixed(3)} → ${final.toFixed(3)} (best ${best.toFixed(3)}) in ${seconds.toFixed(0)} s\n`,
    );
    rmSync(join(dir, "checkpoint"), { recursive: true, force: true });
  }
}
rowsFile.close();
// The table covers every row recorded so far in <out>/rows.jsonl (later invocations add variants).
const allRows = readJsonlRecords<Row>(join(out, "rows.jsonl"));
const allVariants = [...new Set(allRows.map((row) => row.variant))];
const summary = allVariants.map((variant) => {
  const mine = allRows.filter((row) => row.variant === variant);
  const mean = (pick: (row: Row) => number) => mine.reduce((sum, row) => sum + pick(row), 0) / Math.max(1, mine.length);
  return {
    variant,
    seeds: mine.length,
    sft: mean((row) => row.sft),
    final: mean((row) => row.final),
    gain: mean((row) => row.final - row.sft),
    perSeed: mine.map((row) => ({ seed: row.seed, sft: row.sft, final: row.final })),
  };
});
writeFileSync(join(out, "summary.json"), `${JSON.stringify({ sftSteps, rlSteps, summary }, null, 2)}\n`);
// Plot-ready held-out curves of every run in <out>: variant,seed,step,exact_match.
const curveLines = ["variant,seed,step,exact_match"];
for (const row of allRows) {
  const file = join(out, `${row.variant}-seed${row.seed}`, "eval.jsonl");
  if (!existsSync(file)) continue;
  for (const evaluation of readJsonlRecords<{ step: number; exact_match: number }>(file)) {
    curveLines.push(`${row.variant},${row.seed},${evaluation.step},${evaluation.exact_match.toFixed(4)}`);
  }
}
writeFileSync(join(out, "eval-curves.csv"), `${curveLines.join("\n")}\n`);
process.stdout.write("\nvariant         seeds  SFT EM  after RL  gain\n");
for (const row of summary) {
  process.stdout.write(
    `${row.variant.padEnd(15)} ${String(row.seeds).padStart(5)}  ${row.sft.toFixed(3)}   ${row.final.toFixed(3)}    ${row.gain >= 0 ? "+" : ""}${row.gain.toFixed(3)}\n`,
  );
}
