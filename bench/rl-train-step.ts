/**
 * Train-step time of the in-process policy: the `tiny` preset (V = 256, d = 128, 4 layers, 4 heads,
 * FFN 512; ≈0.86M parameters) on B = 8 × T = 64 = 512 tokens with PPO-style per-token weights
 * (a random half of the positions masked), forward + backward + Adam. Target: ≤ 300 ms on a 2-core
 * machine. Run: npx tsx bench/rl-train-step.ts
 *
 * The policy runs with the jax-js threads of DRKIT_JAX_THREADS (default 1). The same bench is then
 * re-run in a child process with the other setting (DRKIT_JAX_THREADS=auto after a single-thread
 * run, =1 after a threaded one) as an anchor of the same run. The load average is printed with each
 * figure: the machine is shared.
 */
import { spawnSync } from "node:child_process";
import { availableParallelism, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { Random } from "../src/core/random.js";
import { InProcessPolicy, POLICY_PRESETS } from "../src/rl/policy/in-process-policy.js";
import { SPECIAL_TOKENS, WordTokenizer } from "../src/rl/policy/tokenizer.js";

const TARGET_MS = 300;
const batch = 8;
const length = 64;
const vocabulary = [...SPECIAL_TOKENS, ...Array.from({ length: 256 - SPECIAL_TOKENS.length }, (_, i) => `w${i}`)];
const tokenizer = new WordTokenizer(vocabulary);
const policy = await InProcessPolicy.create({
  config: {
    ...(POLICY_PRESETS.tiny as NonNullable<(typeof POLICY_PRESETS)["tiny"]>),
    vocabSize: 256,
    maxLength: length + 1,
  },
  tokenizer,
  seed: 1,
  microBatch: batch,
});
const random = new Random(2);
const sequences = Array.from({ length: batch }, () => Array.from({ length: length + 1 }, () => random.int(256)));
const weights = sequences.map((sequence) => {
  const advantage = random.normal();
  return { logprob: Float32Array.from(sequence, (_, t) => (t > 0 && random.next() < 0.5 ? -advantage / 256 : 0)) };
});

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const measure = async (run: () => Promise<unknown>, repeats: number) => {
  await run(); // compile
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  return median(times);
};

interface Figures {
  threads: number;
  forwardMs: number;
  trainStepMs: number;
  load: number;
}

async function measureFigures(): Promise<Figures> {
  const forwardMs = await measure(() => policy.score(sequences), 5);
  const trainStepMs = await measure(async () => {
    await policy.backward(sequences, weights);
    await policy.step();
  }, 7);
  return { threads: policy.threads, forwardMs, trainStepMs, load: loadavg()[0] as number };
}

/** The anchor: this bench in a child process with DRKIT_JAX_THREADS=`threads`. */
function childFigures(threads: string): Figures {
  const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), "--json"], {
    env: { ...process.env, DRKIT_JAX_THREADS: threads },
    encoding: "utf8",
  });
  if (child.status !== 0) throw new Error(`DRKIT_JAX_THREADS=${threads} run failed: ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split("\n").at(-1) as string) as Figures;
}

const describe = (figures: Figures) =>
  `${figures.threads} thread${figures.threads === 1 ? "" : "s"}, load ${figures.load.toFixed(2)}`;

const figures = await measureFigures();
if (process.argv.includes("--json")) {
  process.stdout.write(`${JSON.stringify(figures)}\n`);
} else {
  process.stdout.write(
    `in-process policy: ${policy.parameterCount.toLocaleString()} parameters, ${batch}×${length} = ${batch * length} tokens (${describe(figures)})\n`,
  );
  process.stdout.write(`  forward (score, no grad): ${figures.forwardMs.toFixed(1)} ms\n`);
  process.stdout.write(`  train step (forward + backward + Adam): ${figures.trainStepMs.toFixed(1)} ms\n`);
  const ratio = figures.trainStepMs / TARGET_MS;
  process.stdout.write(
    `  train step / target (${TARGET_MS} ms): ${ratio.toFixed(2)}× ${ratio <= 1 ? "(meets the target)" : "(slower than the target)"}\n`,
  );
  process.stdout.write(
    `  train step / forward (anchor measured in this run): ${(figures.trainStepMs / figures.forwardMs).toFixed(2)}×\n`,
  );
  const other = figures.threads > 1 ? "1" : availableParallelism() > 1 ? "auto" : undefined;
  if (other) {
    const anchor = childFigures(other);
    process.stdout.write(
      `  anchor, DRKIT_JAX_THREADS=${other} (${describe(anchor)}): forward ${anchor.forwardMs.toFixed(1)} ms, train step ${anchor.trainStepMs.toFixed(1)} ms\n`,
    );
    const [single, threaded] = figures.threads > 1 ? [anchor, figures] : [figures, anchor];
    process.stdout.write(
      `  ${threaded.threads} threads vs 1 (speed-up): forward ${(single.forwardMs / threaded.forwardMs).toFixed(2)}×, train step ${(single.trainStepMs / threaded.trainStepMs).toFixed(2)}×\n`,
    );
  }
}
