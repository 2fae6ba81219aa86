/**
 * Advantage + loss time on a 512 × 8192 batch (4.2M token positions, ~75% valid, Float32 inputs):
 *   1. GRPO advantages (groups of 8) + PPO-clip `vanilla` token-mean with a k3 (low_var_kl) KL loss,
 *      returning loss, metrics and d(loss)/d(log_prob) per token;
 *   2. GAE (masked observation tokens, whitening) on the same rewards with critic values.
 * Anchor, measured in the same run: a plain loop that only sums the same input arrays once (the
 * memory-bandwidth floor of reading them). Prints ms, tokens/s and the ratio to the anchor.
 * Run: npx tsx bench/rl-losses.ts
 */
import { Random } from "../src/core/random.js";
import { computeActorObjective } from "../src/rl/actor-objective.js";
import { computeGaeAdvantage } from "../src/rl/gae.js";
import { computeGrpoAdvantage } from "../src/rl/outcome-advantages.js";

const rows = 512;
const columns = 8192;
const groupSize = 8;
const size = rows * columns;
const random = new Random(7);

const responseMask = new Float32Array(size);
const tokenLevelRewards = new Float32Array(size);
const oldLogProb = new Float32Array(size);
const logProb = new Float32Array(size);
const refLogProb = new Float32Array(size);
const values = new Float32Array(size);
const index: string[] = [];
for (let i = 0; i < rows; i++) {
  index.push(`uid-${Math.floor(i / groupSize)}`);
  const length = columns / 2 + random.int(columns / 2);
  let last = 0;
  for (let t = 0; t < length; t++) {
    const k = i * columns + t;
    // observation blocks: every 1024 tokens, 256 tokens of tool output
    const isModel = t % 1024 < 768 ? 1 : 0;
    responseMask[k] = isModel;
    if (isModel) {
      last = t;
      oldLogProb[k] = -2 * random.next();
      logProb[k] = (oldLogProb[k] as number) + 0.1 * (random.next() - 0.5);
      refLogProb[k] = (oldLogProb[k] as number) + 0.1 * (random.next() - 0.5);
    }
    values[k] = random.next();
  }
  tokenLevelRewards[i * columns + last] = random.next() < 0.5 ? 1 : 0;
}
const validTokens = responseMask.reduce((a, b) => a + b, 0);

function median(times: number[]): number {
  return [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)] as number;
}

function measure(run: () => unknown, repeats = 3): number {
  run();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    run();
    times.push(performance.now() - start);
  }
  return median(times);
}

let sink = 0;
function sumArrays(arrays: readonly Float32Array[]): void {
  let sum = 0;
  for (const array of arrays) for (let k = 0; k < array.length; k++) sum += array[k] as number;
  sink += sum;
}

const shape = { rows, columns };
const grpoInputs = [tokenLevelRewards, responseMask, oldLogProb, logProb, refLogProb];
const gaeInputs = [tokenLevelRewards, responseMask, values];

const grpoAnchor = measure(() => sumArrays(grpoInputs));
const grpo = measure(() => {
  const { advantages } = computeGrpoAdvantage({ ...shape, tokenLevelRewards, responseMask, index });
  const out = computeActorObjective(
    { ...shape, oldLogProb, logProb, advantages, responseMask, refLogProb },
    { lossMode: "vanilla", lossAggMode: "token-mean", useKlLoss: true, klLossType: "low_var_kl", klLossCoef: 0.001 },
  );
  sink += out.loss;
});
const gaeAnchor = measure(() => sumArrays(gaeInputs));
const gae = measure(() => {
  const out = computeGaeAdvantage({ ...shape, tokenLevelRewards, responseMask, values }, { gamma: 1, lam: 0.95 });
  sink += out.advantages[0] as number;
});

const line = (label: string, ms: number, anchor: number) =>
  `${label.padEnd(44)} ${ms.toFixed(1).padStart(8)} ms  ${(size / ms / 1000).toFixed(1).padStart(6)} M positions/s  ` +
  `${(validTokens / ms / 1000).toFixed(1).padStart(5)} M valid tokens/s  ` +
  `anchor (sum of the same inputs) ${anchor.toFixed(1)} ms  ratio ${(ms / anchor).toFixed(2)}×`;

process.stdout.write(
  `batch ${rows}×${columns} = ${(size / 1e6).toFixed(2)}M positions, ${(validTokens / 1e6).toFixed(2)}M valid tokens, Float32 inputs, Node ${process.version}\n` +
    `${line("grpo + vanilla token-mean + k3 KL loss (+grad)", grpo, grpoAnchor)}\n` +
    `${line("gae (masked observations, whitened)", gae, gaeAnchor)}\n` +
    `(sink ${sink.toFixed(3)})\n`,
);
