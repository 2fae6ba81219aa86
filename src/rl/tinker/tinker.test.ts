/**
 * The Tinker client and training backend against the Tinker-shaped test fixture (test/fixtures/tinker-server.ts:
 * a unigram softmax "model", not a trainer), so every logprob and gradient is checked by hand.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startTinkerFixture, type TinkerFixture } from "../../../test/fixtures/tinker-server.js";
import { WordTokenizer } from "../policy/tokenizer.js";
import { WordChatTemplate } from "../policy/word-chat-template.js";
import { TinkerClient, TinkerError } from "./client.js";
import { TinkerBackend, toDatum } from "./tinker-backend.js";

const tokenizer = WordTokenizer.fit(["alpha beta gamma delta epsilon <search> </search> <answer> </answer>"]);
const template = new WordChatTemplate(tokenizer);
const V = tokenizer.size;
let server: TinkerFixture | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function logSoftmax(theta: Float64Array): Float64Array {
  const max = Math.max(...theta);
  const total = theta.reduce((sum, value) => sum + Math.exp(value - max), 0);
  return theta.map((value) => value - max - Math.log(total));
}

/** d/dθ of Σ_t w_t · log p(ids[t]) for the unigram fixture model: Σ_t w_t (onehot(ids[t]) − softmax θ). */
function analyticGradient(theta: Float64Array, sequences: number[][], weights: number[][]): Float64Array {
  const p = logSoftmax(theta).map(Math.exp);
  const gradient = new Float64Array(theta.length);
  sequences.forEach((ids, row) => {
    for (let t = 1; t < ids.length; t++) {
      const w = weights[row]?.[t] ?? 0;
      for (let v = 0; v < theta.length; v++) gradient[v] = (gradient[v] as number) - w * (p[v] as number);
      gradient[ids[t] as number] = (gradient[ids[t] as number] as number) + w;
    }
  });
  return gradient;
}

const skewed = (size: number) => Float64Array.from({ length: size }, (_, v) => Math.sin(v) * 0.5);

describe("Tinker client", () => {
  it("sends the key as X-API-Key, waits out 408 and try_again, and reads the result", async () => {
    server = await startTinkerFixture({ vocabularySize: V, timeouts: 2, tryAgain: 1 });
    const client = new TinkerClient({ baseUrl: server.baseUrl, apiKey: "secret-key", retryBaseDelayMs: 1 });
    expect(await client.capabilities()).toEqual(["fixture-base"]);
    const session = await client.createSession();
    const model = await client.createModel(session, "fixture-base", { rank: 8, seed: 1 });
    const sample = await client.sample({
      prompt: [1, 2],
      numSamples: 2,
      params: { max_tokens: 5, temperature: 1, top_p: 1, top_k: -1, seed: 3 },
      source: { baseModel: "fixture-base" },
    });
    expect(sample.sequences).toHaveLength(2);
    expect(sample.sequences[0]?.tokens).toHaveLength(5);
    // The uniform fresh model: every logprob is −log V.
    expect(sample.sequences[0]?.logprobs?.[0]).toBeCloseTo(-Math.log(V), 10);
    const polls = server.requests.filter((r) => r.path === "/api/v1/retrieve_future").length;
    expect(polls).toBeGreaterThanOrEqual(2 * 4); // create_model and asample: try_again, 408, 408, result
    expect(server.requests.every((r) => r.headers["x-api-key"] === "secret-key")).toBe(true);
    expect(model).toMatch(/^model-/);
  });

  it("a repeated seq_id with the same body returns the same future; another body is a 409 that says why", async () => {
    server = await startTinkerFixture({ vocabularySize: V, timeouts: 0 });
    const client = new TinkerClient({ baseUrl: server.baseUrl, retryBaseDelayMs: 1 });
    const model = await client.createModel(await client.createSession(), "fixture-base", { rank: 4 });
    const data = [toDatum([1, 2, 3], { weights: [0, 1, 1] })];
    await client.forward(model, data, "cross_entropy", 7);
    await client.forward(model, data, "cross_entropy", 7);
    const error = await client
      .forward(model, [toDatum([1, 2, 4], { weights: [0, 1, 1] })], "cross_entropy", 7)
      .catch((e) => e);
    expect(error).toBeInstanceOf(TinkerError);
    expect(error.status).toBe(409);
    expect(error.message).toContain("two clients share one model_id");
  });

  it("refuses a base model the server does not serve, naming the ones it does", async () => {
    server = await startTinkerFixture({ vocabularySize: V, timeouts: 0 });
    const client = new TinkerClient({ baseUrl: server.baseUrl, retryBaseDelayMs: 1 });
    const error = await TinkerBackend.start({
      client,
      baseModel: "Qwen/Other",
      template,
      loraRank: 4,
      learningRate: 0.1,
    }).catch((e) => e);
    expect(error.message).toBe(
      'the Tinker server does not serve base model "Qwen/Other"; it serves: fixture-base (pass one of them to --base-model)',
    );
  });

  it("names the LoRA adapter limit, an expired session and a late load_weights", async () => {
    server = await startTinkerFixture({ vocabularySize: V, timeouts: 0, maxLoraAdapters: 2, sessionTtlMs: 50 });
    const client = new TinkerClient({ baseUrl: server.baseUrl, retryBaseDelayMs: 1, maxRetries: 0 });
    const session = await client.createSession();
    const model = await client.createModel(session, "fixture-base", { rank: 4 });
    const full = await client.createModel(session, "fixture-base", { rank: 4 }).catch((e) => e);
    expect(full.message).toContain("maximum number of LoRA adapters reached — unload models");
    await client.forward(model, [toDatum([1, 2], {})], "cross_entropy", 1);
    const late = await client.loadWeights(model, "tinker://x/weights/y", 2).catch((e) => e);
    expect(late.message).toContain("LoadWeights is not permitted");
    await new Promise((resolve) => setTimeout(resolve, 80));
    const gone = await client.forward(model, [toDatum([1, 2], {})], "cross_entropy", 3).catch((e) => e);
    expect(gone).toMatchObject({ status: 404, detail: "Model not found" });
  });
});

describe("Tinker training backend", () => {
  for (const reduction of ["sequence-mean", "sum"] as const)
    it(`backward (${reduction} server reduction): the gradient the server applies is drkit's, token for token`, async () => {
      server = await startTinkerFixture({ vocabularySize: V, timeouts: 0, initialLogits: skewed, reduction });
      const client = new TinkerClient({ baseUrl: server.baseUrl, retryBaseDelayMs: 1 });
      const backend = await TinkerBackend.start({
        lossReduction: reduction,
        client,
        baseModel: "fixture-base",
        template,
        loraRank: 4,
        learningRate: 0.01,
      });
      const sequences = [
        [1, 5, 6, 7, 2],
        [1, 8, 9, 2],
      ];
      const weights = [
        [0, 0.5, -0.25, 1, 0],
        [0, 0, 2, -1],
      ];
      const theta = Float64Array.from(server.models.get(backend.modelId)?.theta ?? []);
      const result = await backend.backward(
        sequences,
        weights.map((logprob) => ({ logprob })),
      );
      const expected = analyticGradient(theta, sequences, weights);
      const got = server.meanGradient(backend.modelId);
      for (let v = 0; v < V; v++) expect(got[v]).toBeCloseTo(expected[v] as number, 5);
      const logp = logSoftmax(theta);
      const objective = sequences.reduce(
        (sum, ids, row) =>
          sum + ids.slice(1).reduce((s, id, i) => s + (weights[row]?.[i + 1] ?? 0) * (logp[id] as number), 0),
        0,
      );
      expect(result.objective).toBeCloseTo(objective, 5);
      const scores = await backend.score(sequences);
      expect(scores[0]?.logprobs[0]).toBe(0);
      expect(scores[0]?.logprobs[2]).toBeCloseTo(logp[6] as number, 5);
      const step = await backend.step();
      expect(step.gradNorm).toBeCloseTo(Math.hypot(...expected), 6);
      await backend.close();
    });

  it("after each optimizer step rollouts sample a fresh sampler of the new weights", async () => {
    server = await startTinkerFixture({ vocabularySize: V, timeouts: 0 });
    const client = new TinkerClient({ baseUrl: server.baseUrl, retryBaseDelayMs: 1 });
    const backend = await TinkerBackend.start({
      client,
      baseModel: "fixture-base",
      template,
      loraRank: 4,
      learningRate: 0.5,
    });
    const first = await backend.tokenPath();
    expect(first.sampler.name).toBe("base");
    // d(loss)/d(logprob) = −1: the loss is the negative log-likelihood of token 5.
    await backend.backward([[1, 5, 5, 5]], [{ logprob: [0, -1, -1, -1] }]);
    await backend.step();
    const second = await backend.tokenPath();
    expect(second.sampler.name).toMatch(/^sampling_/);
    const sample = await second.sampler.sample({ promptIds: [1], maxTokens: 3, seed: 1, stopTokenIds: [] });
    // The sampler's logprobs are the trained model's: token 5 became likelier than uniform.
    const logp = logSoftmax(server.models.get(backend.modelId)?.theta ?? new Float64Array());
    expect(logp[5]).toBeGreaterThan(-Math.log(V));
    expect(sample.logprobs[0]).toBeCloseTo(logp[sample.tokenIds[0] as number] as number, 9);
    expect(backend.samplerHistory).toEqual(["base", second.sampler.name]);
    await backend.close();
    expect(server.models.size).toBe(0);
  });
});

describe("native loss path", () => {
  for (const reduction of ["sequence-mean", "sum"] as const)
    it(`one GRPO step through the server's ppo loss moves the weights as drkit's own loss does (${reduction})`, async () => {
      const { trainOnTrajectories, DEFAULT_RL_OPTIONS } = await import("../trainer/rl-trainer.js");
      server = await startTinkerFixture({ vocabularySize: V, timeouts: 0, initialLogits: skewed, reduction });
      const client = new TinkerClient({ baseUrl: server.baseUrl, retryBaseDelayMs: 1 });
      const start = () =>
        TinkerBackend.start({
          client,
          baseModel: "fixture-base",
          template,
          loraRank: 4,
          learningRate: 0.05,
          lossReduction: reduction,
        });
      const custom = await start();
      const native = await start();
      const logp = logSoftmax(skewed(V));
      // Two groups of two on-policy samples (sampler logprobs = the model's), rewards 1/0 in each group.
      const responses = [[5, 6, 7], [8, 9], [6, 6, 10, 11], [12]];
      const trajectories = responses.map((ids, index) => ({
        version: 1 as const,
        id: `t${index}`,
        question: "q",
        goldAnswers: [],
        protocol: "react",
        sample: index % 2,
        messages: [],
        turns: [],
        tokens: {
          tokenizer: "t",
          promptIds: [1, 3],
          spans: [{ source: "model" as const, turn: 0, ids, logprobs: ids.map((id) => logp[id] as number) }],
        },
        usage: { promptTokens: 0, completionTokens: ids.length, totalTokens: 0, llmCalls: 1, toolCalls: 0, costUsd: 0 },
        timings: { startedAt: "", durationMs: 0 },
        termination: "answer" as const,
        prediction: "x",
        reward: { score: index % 2 === 0 ? 1 : 0, components: {}, name: "em" },
        verdicts: [],
        metadata: { uid: `g${Math.floor(index / 2)}` },
      }));
      const options = { ...DEFAULT_RL_OPTIONS, algorithm: "grpo", learningRate: 0.05 };
      const viaCustom = await trainOnTrajectories(custom, trajectories, { ...options, lossPath: "custom" });
      const viaNative = await trainOnTrajectories(native, trajectories, { ...options, lossPath: "native" });
      const a = server.models.get(custom.modelId)?.theta ?? new Float64Array();
      const b = server.models.get(native.modelId)?.theta ?? new Float64Array();
      expect(viaNative.grad_norm).toBeCloseTo(viaCustom.grad_norm, 6);
      expect(viaNative.grad_norm).toBeGreaterThan(0);
      expect(viaNative.pg_loss).toBeCloseTo(viaCustom.pg_loss, 6);
      for (let v = 0; v < V; v++) expect(b[v]).toBeCloseTo(a[v] as number, 6);
      // The native path made no forward call.
      const forwards = server.requests.filter((r) => r.path === "/api/v1/forward").map((r) => r.body.model_id);
      expect(forwards).toEqual([custom.modelId]);
      await custom.close();
      await native.close();
    });
});
