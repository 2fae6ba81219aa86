/**
 * Speed of the eval area, as ratios against anchors measured in the same run:
 * 1. string metrics (EM + F1 + cover-EM, official SQuAD/HotpotQA algorithm) vs an anchor that only
 *    lower-cases and splits both strings (the least any token metric must do);
 * 2. the eval runner's bookkeeping (resume check, scoring, durable append, progress) with an instant rollout vs
 *    the anchor of bare durable JSONL appends of the same records (the fsync floor).
 * Run: npx tsx bench/eval-scoring.ts
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JsonlWriter } from "../src/core/jsonl-store.js";
import { Random } from "../src/core/random.js";
import { emptyUsage, type Trajectory } from "../src/core/trajectory.js";
import { loadBenchmark } from "../src/data/load.js";
import type { Rollout } from "../src/eval/runner.js";
import { runEvaluation } from "../src/eval/runner.js";
import { stringMetrics } from "../src/reward/normalize.js";

const questions = (await loadBenchmark("flashrag-test")).questions;
const random = new Random(3);
const pairs = Array.from({ length: 60_000 }, () => {
  const question = random.pick(questions);
  const other = random.pick(questions);
  const prediction = random.next() < 0.5 ? `The ${question.goldAnswers[0]}.` : (other.goldAnswers[0] ?? "");
  return { prediction, golds: question.goldAnswers };
});

function time(run: () => number): { ms: number; check: number } {
  const start = performance.now();
  const check = run();
  return { ms: performance.now() - start, check };
}

// Warm up both paths.
for (const pair of pairs.slice(0, 2000)) stringMetrics(pair.prediction, pair.golds);
const anchor = time(() => {
  let tokens = 0;
  for (const pair of pairs) {
    tokens += pair.prediction.toLowerCase().split(/\s+/).length;
    for (const gold of pair.golds) tokens += gold.toLowerCase().split(/\s+/).length;
  }
  return tokens;
});
const metrics = time(() => {
  let sum = 0;
  for (const pair of pairs) {
    const scores = stringMetrics(pair.prediction, pair.golds, ["em", "f1", "cover_em"]);
    sum += scores.em + scores.f1 + scores.cover_em;
  }
  return sum;
});
console.log(
  `string metrics: ${pairs.length} predictions (${(pairs.length / (metrics.ms / 1000)).toFixed(0)}/s); ` +
    `anchor lower+split ${(pairs.length / (anchor.ms / 1000)).toFixed(0)}/s; ratio metrics/anchor time ${(metrics.ms / anchor.ms).toFixed(2)}x`,
);

const items = 1500;
const evalQuestions = questions.slice(0, items);
const record = (index: number, sample: number): Trajectory => ({
  version: 1,
  id: `t${index}-${sample}`,
  questionId: evalQuestions[index]?.id,
  question: evalQuestions[index]?.question ?? "",
  goldAnswers: [],
  protocol: "react",
  sample,
  messages: [],
  turns: [],
  usage: emptyUsage(),
  timings: { startedAt: "2026-01-01T00:00:00Z", durationMs: 0 },
  termination: "answer",
  prediction: evalQuestions[index]?.goldAnswers[0] ?? null,
  verdicts: [],
  metadata: {},
});
const anchorDirectory = mkdtempSync(join(tmpdir(), "drkit-bench-anchor-"));
const writer = new JsonlWriter(join(anchorDirectory, "t.jsonl"));
const appendStart = performance.now();
for (let index = 0; index < items; index++) writer.append(record(index, 0));
writer.close();
const appendMs = performance.now() - appendStart;

const indexOf = new Map(evalQuestions.map((question, index) => [question.id, index]));
const rollout: Rollout = async (question, sample) => record(indexOf.get(question.id) ?? 0, sample);
const runDirectory = mkdtempSync(join(tmpdir(), "drkit-bench-eval-"));
const runStart = performance.now();
await runEvaluation({
  runDirectory,
  manifest: {
    version: 1,
    benchmark: "flashrag-test",
    selection: {},
    questionIds: evalQuestions.map((question) => question.id),
    k: 1,
    protocol: "react",
    model: null,
    baseUrl: null,
    search: null,
    judge: null,
    judgeModel: null,
    settings: {},
    createdAt: new Date().toISOString(),
  },
  questions: evalQuestions,
  k: 1,
  concurrency: 8,
  quiet: true,
  rollout,
});
const runMs = performance.now() - runStart;
console.log(
  `eval runner: ${items} rollouts stored in ${runMs.toFixed(0)} ms (${(items / (runMs / 1000)).toFixed(0)}/s); ` +
    `anchor durable appends ${appendMs.toFixed(0)} ms (${(items / (appendMs / 1000)).toFixed(0)}/s); ratio ${(runMs / appendMs).toFixed(2)}x`,
);
