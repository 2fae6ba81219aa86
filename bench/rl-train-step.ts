/**
 * Train-step time of the in-process policy: the `tiny` preset (V = 256, d = 128, 4 layers, 4 heads,
 * FFN 512; ≈0.86M parameters) on B = 8 × T = 64 = 512 tokens with PPO-style per-token weights
 * (a random half of the positions masked), forward + backward + Adam. Target: ≤ 300 ms on a 2-core
 * machine. Run: npx tsx bench/rl-train-step.ts
 */
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

const measure = async (label: string, run: () => Promise<unknown>, repeats: number) => {
  await run(); // compile
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  return { label, ms: median(times) };
};

const forward = await measure("forward (score, no grad)", () => policy.score(sequences), 5);
const trainStep = await measure(
  "train step (forward + backward + Adam)",
  async () => {
    await policy.backward(sequences, weights);
    await policy.step();
  },
  7,
);
process.stdout.write(
  `in-process policy: ${policy.parameterCount.toLocaleString()} parameters, ${batch}×${length} = ${batch * length} tokens\n`,
);
for (const result of [forward, trainStep]) process.stdout.write(`  ${result.label}: ${result.ms.toFixed(1)} ms\n`);
process.stdout.write(
  `  train step / target (${TARGET_MS} ms): ${(trainStep.ms / TARGET_MS).toFixed(2)}× ${trainStep.ms <= TARGET_MS ? "(meets the target)" : "(slower than the target)"}\n`,
);
process.stdout.write(
  `  train step / forward (anchor measured in this run): ${(trainStep.ms / forward.ms).toFixed(2)}×\n`,
);
