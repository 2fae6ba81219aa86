import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InProcessPolicy } from "./in-process-policy.js";
import { WordTokenizer } from "./tokenizer.js";

const directory = mkdtempSync(join(tmpdir(), "drkit-policy-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const tokenizer = WordTokenizer.fit(["the cat sat on the mat", "a dog ran in the park", "<search> cat </search>"]);
const config = { vocabSize: tokenizer.size, dModel: 32, layers: 1, heads: 2, ffn: 64, maxLength: 16 };

async function fresh(seed = 1) {
  return InProcessPolicy.create({ config, tokenizer, seed, microBatch: 4, optimizer: { learningRate: 3e-3 } });
}

/** SFT weights: −1/N on the response tokens (positions ≥ start), 0 elsewhere. */
function sftWeights(length: number, start: number) {
  const w = new Float32Array(length);
  for (let t = start; t < length; t++) w[t] = -1 / (length - start);
  return { logprob: w };
}

describe("InProcessPolicy", () => {
  it("decreases the SFT loss on a tiny dataset", async () => {
    const policy = await fresh();
    const sequences = ["the cat sat on the mat", "a dog ran in the park"].map((text) => [1, ...tokenizer.encode(text)]);
    const loss = async () => {
      const scores = await policy.score(sequences);
      return -scores.reduce((sum, s) => sum + s.logprobs.slice(1).reduce((a, b) => a + b, 0), 0);
    };
    const before = await loss();
    for (let i = 0; i < 30; i++) {
      await policy.backward(
        sequences,
        sequences.map((s) => sftWeights(s.length, 1)),
      );
      await policy.step();
    }
    const after = await loss();
    expect(after).toBeLessThan(before * 0.5);
  });

  it("gives zero gradient to tokens whose weights are zero (masked observation tokens)", async () => {
    const policy = await fresh();
    const prompt = [1, ...tokenizer.encode("the cat")];
    const model = tokenizer.encode("<search> cat </search>");
    const observationA = tokenizer.encode("a dog ran");
    const observationB = tokenizer.encode("in the park");
    const weights = (obsLength: number) => {
      const length = prompt.length + model.length + obsLength;
      const w = new Float32Array(length);
      for (let t = prompt.length; t < prompt.length + model.length; t++) w[t] = -0.5;
      return { logprob: w };
    };
    // Same model tokens, different (masked) observation tokens after them: identical gradients.
    await policy.backward([[...prompt, ...model, ...observationA]], [weights(observationA.length)]);
    const gradientA = policy.accumulatedGradient().map((g) => Float32Array.from(g));
    policy.zeroGradient();
    await policy.backward([[...prompt, ...model, ...observationB]], [weights(observationB.length)]);
    const gradientB = policy.accumulatedGradient();
    let difference = 0;
    let magnitude = 0;
    gradientA.forEach((g, i) => {
      for (let j = 0; j < g.length; j++) {
        difference = Math.max(difference, Math.abs((g[j] as number) - ((gradientB[i] as Float32Array)[j] as number)));
        magnitude = Math.max(magnitude, Math.abs(g[j] as number));
      }
    });
    expect(magnitude).toBeGreaterThan(1e-4);
    expect(difference).toBeLessThan(1e-6);
    // Weights all zero: no gradient at all.
    policy.zeroGradient();
    await policy.backward([[...prompt, ...model]], [{ logprob: new Float32Array(prompt.length + model.length) }]);
    expect(policy.gradientNorm()).toBe(0);
  });

  it("gives the same gradient with and without the value/entropy heads in the differentiated objective", async () => {
    const policy = await fresh(7);
    const sequence = [1, ...tokenizer.encode("a dog ran in the park")];
    const logprob = sftWeights(sequence.length, 1).logprob;
    const value = Float32Array.from(sequence, (_, t) => (t > 0 ? 0.3 - 0.1 * t : 0));
    const entropy = Float32Array.from(sequence, (_, t) => (t > 1 ? -0.05 : 0));
    const zeros = new Float32Array(sequence.length);
    const gradientOf = async (weights: { logprob: Float32Array; value?: Float32Array; entropy?: Float32Array }) => {
      policy.zeroGradient();
      await policy.backward([sequence], [weights]);
      return policy.accumulatedGradient().map((g) => Float32Array.from(g));
    };
    // Logprob weights only: the compiled variant without the value/entropy heads.
    const logprobOnly = await gradientOf({ logprob });
    const valueHead = logprobOnly.at(-1) as Float32Array;
    expect(valueHead.every((g) => g === 0)).toBe(true);
    // J is linear in the weights: ∇J(w, u, e) = ∇J(w, 0, 0) + ∇J(0, u, e), the last two via the full objective.
    const full = await gradientOf({ logprob, value, entropy });
    const headsOnly = await gradientOf({ logprob: zeros, value, entropy });
    let difference = 0;
    let magnitude = 0;
    full.forEach((g, i) => {
      const a = logprobOnly[i] as Float32Array;
      const b = headsOnly[i] as Float32Array;
      for (let j = 0; j < g.length; j++) {
        difference = Math.max(difference, Math.abs((g[j] as number) - (a[j] as number) - (b[j] as number)));
        magnitude = Math.max(magnitude, Math.abs(g[j] as number));
      }
    });
    expect(magnitude).toBeGreaterThan(1e-3);
    expect(difference).toBeLessThan(1e-5 * magnitude);
    expect((full.at(-1) as Float32Array).some((g) => g !== 0)).toBe(true);
  });

  it("round-trips a checkpoint (weights, optimizer state, tokenizer) exactly", async () => {
    const policy = await fresh(3);
    const sequence = [1, ...tokenizer.encode("a dog ran in the park")];
    await policy.backward([sequence], [sftWeights(sequence.length, 1)]);
    await policy.step();
    const path = join(directory, "checkpoint");
    await policy.save(path);
    const loaded = await InProcessPolicy.load(path);
    expect(loaded.tokenizer.vocabulary).toEqual(tokenizer.vocabulary);
    expect(loaded.steps).toBe(1);
    const [a] = await policy.score([sequence]);
    const [b] = await loaded.score([sequence]);
    expect(Array.from(b?.logprobs ?? [])).toEqual(Array.from(a?.logprobs ?? []));
    // One more identical step on both gives identical weights (Adam moments were saved).
    for (const p of [policy, loaded]) {
      await p.backward([sequence], [sftWeights(sequence.length, 1)]);
      await p.step();
    }
    expect(Array.from(loaded.parameters()[2]?.data ?? [])).toEqual(Array.from(policy.parameters()[2]?.data ?? []));
  });

  it("samples reproducibly for a seed and reports sampler logprobs that match teacher-forced scores", async () => {
    const policy = await fresh(5);
    const context = [1, ...tokenizer.encode("the cat")];
    const first = await policy.sample([context, context], { maxTokens: 5, temperature: 1, seed: 42 });
    const second = await policy.sample([context, context], { maxTokens: 5, temperature: 1, seed: 42 });
    expect(second).toEqual(first);
    const sampled = first[0];
    expect(sampled?.tokenIds).toHaveLength(5);
    const [scores] = await policy.score([[...context, ...(sampled?.tokenIds ?? [])]]);
    sampled?.logprobs.forEach((logprob, i) => {
      expect(scores?.logprobs[context.length + i]).toBeCloseTo(logprob, 4);
    });
  });

  it("computes bit-identical gradients and scores with one and with several Wasm threads", () => {
    // The thread count is process-wide (fixed when jax-js loads), so each setting runs in a child.
    const script = `
      import { createHash } from "node:crypto";
      import { InProcessPolicy } from "./src/rl/policy/in-process-policy.ts";
      import { WordTokenizer } from "./src/rl/policy/tokenizer.ts";
      const tokenizer = WordTokenizer.fit(["the cat sat on the mat", "a dog ran in the park"]);
      const config = { vocabSize: tokenizer.size, dModel: 32, layers: 1, heads: 2, ffn: 64, maxLength: 16 };
      const policy = await InProcessPolicy.create({ config, tokenizer, seed: 1, microBatch: 2 });
      const sequences = ["the cat sat on the mat", "a dog ran in the park"].map((t) => [1, ...tokenizer.encode(t)]);
      const weights = sequences.map((s) => ({ logprob: Float32Array.from(s, (_, t) => (t > 0 ? -0.1 : 0)) }));
      const hash = createHash("sha256");
      for (let step = 0; step < 2; step++) {
        const { scores } = await policy.backward(sequences, weights);
        for (const g of policy.accumulatedGradient()) hash.update(new Uint8Array(g.buffer, g.byteOffset, g.byteLength));
        for (const s of scores) hash.update(new Uint8Array(s.logprobs.buffer));
        await policy.step();
      }
      console.log(JSON.stringify({ threads: policy.threads, hash: hash.digest("hex") }));
    `;
    const run = (threads: number) => {
      const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
        encoding: "utf8",
        env: { ...process.env, DRKIT_JAX_THREADS: String(threads) },
        timeout: 50_000,
      });
      expect(child.status, child.stderr).toBe(0);
      return JSON.parse(child.stdout.trim().split("\n").at(-1) as string) as { threads: number; hash: string };
    };
    const single = run(1);
    const several = run(3);
    expect(single.threads).toBe(1);
    expect(several.threads).toBe(3);
    expect(several.hash).toBe(single.hash);
  });
});
