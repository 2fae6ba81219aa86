/**
 * Policy-backend comparison: the in-process policy's transformer (src/rl/policy/transformer.ts) on
 * @jax-js/jax (`jit`, Wasm; driven through InProcessPolicy exactly as bench/rl-train-step.ts) against
 * the same model written on @tensorflow/tfjs with the @tensorflow/tfjs-backend-wasm backend, trained
 * with tfjs's own autograd (`tf.variableGrads`) and `tf.train.adam`. (@tensorflow/tfjs-core alone does
 * not register gradients in Node: its CommonJS bundle leaves them out; the union package registers them.)
 *
 * Size `tiny` (V = 256, d = 128, 4 layers, 4 heads, FFN 512; ≈0.86M parameters), B = 8 × T = 64 = 512
 * tokens, J = Σ w·log π(target) with a random half of the positions weighted (as bench/rl-train-step.ts).
 * Both models start from the same weights (the jax-js initial weights are copied into tfjs variables);
 * the bench prints J and ‖∇J‖ of both to show they are the same model.
 *
 * Each run times, interleaved: jax-js, tfjs-wasm as written (stock matMul), and tfjs-wasm with explicit
 * transposes (see explicitMatMul). Thread settings are process-wide, so run 1 uses the defaults
 * (jax-js DRKIT_JAX_THREADS or the core count; tfjs-wasm single-threaded, as it starts in Node),
 * run 2 (child process) jax-js on 1 thread, run 3 (child process) tfjs-wasm's threaded-SIMD build forced on.
 *
 * Not a test (no timed assertions). Run: npx tsx bench/policy-backends.ts  (about 3 minutes on 2 cores)
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { getThreadsCount, setThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import { Random } from "../src/core/random.js";
import { InProcessPolicy, POLICY_PRESETS } from "../src/rl/policy/in-process-policy.js";
import { SPECIAL_TOKENS, WordTokenizer } from "../src/rl/policy/tokenizer.js";
import type { NamedTensor, TransformerConfig } from "../src/rl/policy/transformer.js";

const BATCH = 8;
const LENGTH = 64;
const FORWARD_REPEATS = 5;
const TRAIN_REPEATS = 7;
const CHILD_TIMEOUT_MS = 240_000;

/** `--child --jax-threads J --tfjs-threads T`: one run in a fresh process (both thread settings are process-wide). */
const isChild = process.argv.includes("--child");
function numberFlag(name: string): number | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? Number(process.argv[index + 1]) : undefined;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function formatLoad(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(" / ");
}

// ---------------------------------------------------------------------------------------------
// The tfjs model: the same computation as transformer.ts, op for op.
// ---------------------------------------------------------------------------------------------

type Variables = Map<string, tf.Variable>;

/**
 * tfjs-wasm 4.22's BatchMatMul is fast only without the transpose flags (measured: [512,128]·[512,512]ᵀ-type
 * products 10–30× slower than the same product on pre-transposed operands), and tfjs's stock matMul
 * gradient uses those flags. The `tuned` tfjs variant therefore transposes explicitly in the forward pass
 * and, while it runs, swaps in a BatchMatMul gradient with the same formulas written with explicit
 * transposes. Still tfjs's autograd; only the kernel choice changes.
 */
function swapLastAxes(x: tf.Tensor): tf.Tensor {
  const perm = Array.from({ length: x.rank }, (_, i) => i);
  perm[x.rank - 2] = x.rank - 1;
  perm[x.rank - 1] = x.rank - 2;
  return tf.transpose(x, perm);
}

function explicitMatMul(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor {
  return tf.matMul(transposeA ? swapLastAxes(a) : a, transposeB ? swapLastAxes(b) : b);
}

const explicitTransposeMatMulGradient: tf.GradConfig = {
  kernelName: "BatchMatMul",
  inputsToSave: ["a", "b"],
  gradFunc: (dy, saved, attrs) => {
    const [a, b] = saved as [tf.Tensor, tf.Tensor];
    const gradient = dy as tf.Tensor;
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) {
      return { a: () => explicitMatMul(gradient, b, false, true), b: () => explicitMatMul(a, gradient, true, false) };
    }
    if (!transposeA && transposeB) {
      return { a: () => explicitMatMul(gradient, b), b: () => explicitMatMul(gradient, a, true, false) };
    }
    if (transposeA && !transposeB) {
      return { a: () => explicitMatMul(b, gradient, false, true), b: () => explicitMatMul(a, gradient) };
    }
    return { a: () => explicitMatMul(b, gradient, true, true), b: () => explicitMatMul(gradient, a, true, true) };
  },
};

/** Run `fn` with the explicit-transpose BatchMatMul gradient registered, then restore tfjs's own. */
function withExplicitTransposeGradient<T>(fn: () => T): T {
  const stock = tf.getGradient("BatchMatMul");
  tf.unregisterGradient("BatchMatMul");
  tf.registerGradient(explicitTransposeMatMulGradient);
  try {
    return fn();
  } finally {
    tf.unregisterGradient("BatchMatMul");
    tf.registerGradient(stock);
  }
}

function rmsNorm(x: tf.Tensor, gain: tf.Tensor): tf.Tensor {
  const meanSquare = tf.mean(tf.square(x), -1, true);
  return tf.mul(tf.mul(x, tf.reciprocal(tf.sqrt(tf.add(meanSquare, 1e-5)))), gain);
}

/** The tanh approximation, as jax-js `nn.gelu` (approximate defaults to true). */
function gelu(x: tf.Tensor): tf.Tensor {
  const inner = tf.mul(tf.mul(x, tf.add(tf.mul(tf.square(x), 0.044715), 1)), Math.sqrt(2 / Math.PI));
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
}

function variable(variables: Variables, name: string): tf.Variable {
  const found = variables.get(name);
  if (!found) throw new Error(`missing tfjs variable ${name}`);
  return found;
}

interface TfjsOutputs {
  logprobs: tf.Tensor;
  entropy: tf.Tensor;
  values: tf.Tensor;
}

/** One-hot inputs/targets [B, T, V] → log π(target), entropy, value [B, T]. */
function tfjsOutputs(
  config: TransformerConfig,
  variables: Variables,
  inputs: tf.Tensor,
  targets: tf.Tensor,
  causalMask: tf.Tensor,
  tuned: boolean,
): TfjsOutputs {
  const matMul = tuned ? explicitMatMul : tf.matMul;
  const [batch, length, vocab] = inputs.shape as [number, number, number];
  const d = config.dModel;
  const h = config.heads;
  const dh = d / h;
  const scale = 1 / Math.sqrt(dh);
  const embedding = variable(variables, "embedding");
  const rows = batch * length;
  let x: tf.Tensor = tf.matMul(tf.reshape(inputs, [rows, vocab]), embedding); // one-hot × matmul, as jax-js
  x = tf.add(tf.reshape(x, [batch, length, d]), tf.slice(variable(variables, "position"), [0, 0], [length, d]));
  for (let l = 0; l < config.layers; l++) {
    const p = (name: string) => variable(variables, `layers.${l}.${name}`);
    const normed = rmsNorm(x, p("norm1"));
    const qkv = tf.reshape(tf.matMul(tf.reshape(normed, [rows, d]), p("wqkv")), [batch, length, 3, h, dh]);
    const heads = tf.transpose(qkv, [2, 0, 3, 1, 4]); // [3, B, H, T, dh]
    const [qHeads, kHeads, vHeads] = tf.unstack(heads, 0) as [tf.Tensor, tf.Tensor, tf.Tensor];
    const q = tf.mul(qHeads, scale);
    const scores = tf.add(matMul(q, kHeads, false, true), causalMask); // [B, H, T, T]
    const attention = tf.matMul(tf.softmax(scores, -1), vHeads); // [B, H, T, dh]
    const merged = tf.reshape(tf.transpose(attention, [0, 2, 1, 3]), [rows, d]);
    x = tf.add(x, tf.reshape(tf.matMul(merged, p("wo")), [batch, length, d]));
    const normed2 = tf.reshape(rmsNorm(x, p("norm2")), [rows, d]);
    x = tf.add(x, tf.reshape(tf.matMul(gelu(tf.matMul(normed2, p("w1"))), p("w2")), [batch, length, d]));
  }
  const final = tf.reshape(rmsNorm(x, variable(variables, "normFinal")), [rows, d]);
  const logits = matMul(final, embedding, false, true); // tied output embedding
  const logp = tf.logSoftmax(logits, -1);
  const logprobs = tf.reshape(tf.sum(tf.mul(logp, tf.reshape(targets, [rows, vocab])), -1), [batch, length]);
  const entropy = tf.reshape(tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), -1)), [batch, length]);
  const values = tf.reshape(tf.matMul(final, variable(variables, "valueHead")), [batch, length]);
  return { logprobs, entropy, values };
}

function causalMaskFor(length: number): tf.Tensor {
  const data = new Float32Array(length * length);
  for (let i = 0; i < length; i++) for (let j = i + 1; j < length; j++) data[i * length + j] = -1e9;
  return tf.tensor2d(data, [length, length]);
}

interface TfjsBatch {
  inputIds: Int32Array;
  targetIds: Int32Array;
  logprobWeights: Float32Array;
  valueWeights: Float32Array;
  entropyWeights: Float32Array;
}

class TfjsPolicy {
  private readonly variables: Variables = new Map();
  private readonly optimizer: tf.AdamOptimizer;
  private readonly mask: tf.Tensor;

  constructor(
    private readonly config: TransformerConfig,
    tensors: readonly NamedTensor[],
    /** Explicit transposes instead of matMul's transpose flags (see explicitMatMul). */
    readonly tuned: boolean,
    private readonly gradClip = 1,
  ) {
    for (const tensor of tensors) {
      this.variables.set(tensor.name, tf.variable(tf.tensor(tensor.data.slice(), tensor.shape), true));
    }
    // The in-process policy's defaults: lr 3e-4, β = (0.9, 0.999), ε = 1e-8, global-norm clip 1.
    this.optimizer = tf.train.adam(3e-4, 0.9, 0.999, 1e-8);
    this.mask = causalMaskFor(config.maxLength - 1);
  }

  /**
   * One-hot inputs and targets [B, T, V], built on the host as the in-process policy does (tfjs-wasm's
   * OneHot kernel with dtype float32 returns zeros in 4.22.0).
   */
  private oneHots(batch: TfjsBatch): [tf.Tensor, tf.Tensor] {
    const length = this.config.maxLength - 1;
    const vocab = this.config.vocabSize;
    const shape: [number, number, number] = [batch.inputIds.length / length, length, vocab];
    const encode = (ids: Int32Array) => {
      const data = new Float32Array(ids.length * vocab);
      ids.forEach((id, position) => {
        data[position * vocab + id] = 1;
      });
      return tf.tensor3d(data, shape);
    };
    return [encode(batch.inputIds), encode(batch.targetIds)];
  }

  /** Teacher-forced outputs copied to the host (as InProcessPolicy.score). */
  forward(batch: TfjsBatch): Float32Array[] {
    return tf.tidy(() => {
      const [inputs, targets] = this.oneHots(batch);
      const out = tfjsOutputs(this.config, this.variables, inputs, targets, this.mask, this.tuned);
      return [out.logprobs, out.entropy, out.values].map((tensor) => tensor.dataSync() as Float32Array);
    });
  }

  /** J and ∇J (no update): for the equivalence check. */
  objectiveAndGradientNorm(batch: TfjsBatch): { objective: number; gradNorm: number } {
    return tf.tidy(() => {
      const { value, grads } = this.objectiveGrads(batch);
      return { objective: value.dataSync()[0] as number, gradNorm: this.globalNorm(grads) };
    });
  }

  /** Forward + backward + global-norm clip + Adam; returns J (as InProcessPolicy.backward + step). */
  trainStep(batch: TfjsBatch): number {
    return tf.tidy(() => {
      const { value, grads, outputs } = this.objectiveGrads(batch);
      for (const tensor of outputs) tensor.dataSync(); // the in-process policy returns per-token scores too
      const norm = this.globalNorm(grads);
      const scale = this.gradClip > 0 && norm > this.gradClip ? this.gradClip / norm : 1;
      this.optimizer.applyGradients(
        Object.entries(grads).map(([name, gradient]) => ({
          name,
          tensor: scale === 1 ? gradient : tf.mul(gradient, scale),
        })),
      );
      return value.dataSync()[0] as number;
    });
  }

  private objectiveGrads(batch: TfjsBatch) {
    const [inputs, targets] = this.oneHots(batch);
    const shape = [batch.inputIds.length / (this.config.maxLength - 1), this.config.maxLength - 1];
    const logprobWeights = tf.tensor(batch.logprobWeights, shape);
    const valueWeights = tf.tensor(batch.valueWeights, shape);
    const entropyWeights = tf.tensor(batch.entropyWeights, shape);
    let outputs: tf.Tensor[] = [];
    const differentiate = () =>
      tf.variableGrads(() => {
        const out = tfjsOutputs(this.config, this.variables, inputs, targets, this.mask, this.tuned);
        outputs = [tf.keep(out.logprobs), tf.keep(out.entropy), tf.keep(out.values)];
        return tf.addN([
          tf.sum(tf.mul(out.logprobs, logprobWeights)),
          tf.sum(tf.mul(out.values, valueWeights)),
          tf.sum(tf.mul(out.entropy, entropyWeights)),
        ]) as tf.Scalar;
      });
    const { value, grads } = this.tuned ? withExplicitTransposeGradient(differentiate) : differentiate();
    // Keyed by tfjs variable name, the form optimizer.applyGradients takes.
    return { value, grads, outputs };
  }

  private globalNorm(grads: tf.NamedTensorMap): number {
    const squares = Object.values(grads).map((gradient) => tf.sum(tf.square(gradient)));
    return Math.sqrt(tf.addN(squares).dataSync()[0] as number);
  }
}

// ---------------------------------------------------------------------------------------------
// The run.
// ---------------------------------------------------------------------------------------------

interface Timing {
  forwardMs: number;
  trainMs: number;
  /** J and ‖∇J‖ at the shared initial weights. */
  objective: number;
  gradNorm: number;
}

interface RunResult {
  /** jax-js Wasm worker threads (InProcessPolicy.threads; DRKIT_JAX_THREADS, default the core count). */
  jaxThreads: number;
  tfjsThreads: number;
  tfjsSimd: boolean;
  jax: Timing;
  tfjs: Timing;
  tfjsTuned: Timing;
  loadBefore: string;
  loadAfter: string;
}

/**
 * tfjs-wasm creates its pthread workers from `blob:` URLs, which Node's Worker rejects
 * (ERR_WORKER_PATH), and hands the workers the main script as a Blob they cannot import. Route both
 * through temporary files so the threaded-SIMD build can start in Node (used only with --tfjs-threads).
 */
function routeWasmWorkersThroughFiles(): void {
  const directory = mkdtempSync(join(tmpdir(), "tfjs-wasm-threads-"));
  process.on("exit", () => rmSync(directory, { recursive: true, force: true }));
  const texts = new WeakMap<Blob, string>();
  let mainScriptPath = "";
  let count = 0;
  const write = (text: string) => {
    const path = join(directory, `script-${count++}.js`);
    writeFileSync(path, text);
    return path;
  };
  const NodeBlob = globalThis.Blob;
  class RecordingBlob extends NodeBlob {
    constructor(...args: ConstructorParameters<typeof Blob>) {
      super(...args);
      const text = (args[0] ?? []).map(String).join("");
      texts.set(this, text);
      if (text.startsWith("var WasmBackendModuleThreadedSimd")) {
        // The factory's source refers to the bundle's names for the Node modules it needs.
        const modules =
          "var require$$0 = require('fs'), require$$1 = require('path'), require$$3 = require('perf_hooks'), require$$4 = require('os'), commonjsGlobal = globalThis;\n";
        mainScriptPath = write(modules + text);
      }
    }
  }
  globalThis.Blob = RecordingBlob;
  const createObjectURL = URL.createObjectURL.bind(URL);
  URL.createObjectURL = (blob: Blob) => {
    const text = texts.get(blob);
    // Only tfjs-wasm's worker script; jax-js's workers have their own Node adapter.
    if (text === undefined || !text.includes("WasmBackendModuleThreadedSimd")) return createObjectURL(blob);
    // The worker imports the main script from a path instead of the Blob it is sent.
    return write(
      text.replace(
        'if(typeof e.data.urlOrBlob=="string"){importScripts(e.data.urlOrBlob)}',
        `if(true){importScripts(${JSON.stringify(mainScriptPath)})}`,
      ),
    );
  };
}

async function initTfjs(threads: number): Promise<{ simd: boolean; threads: number }> {
  if (threads > 1) {
    // tfjs-wasm turns threads off in Node (tensorflow/tfjs#3830); force the threaded-SIMD build.
    routeWasmWorkersThroughFiles();
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
    setThreadsCount(threads);
  }
  // Emscripten's Node pthread support sets the global `Worker` to worker_threads' Worker, which would
  // replace the Web Worker adapter that jax-js's thread pool uses; tfjs has created its pool by ready().
  const scope = globalThis as { Worker?: unknown };
  const webWorker = scope.Worker;
  const ok = await tf.setBackend("wasm");
  if (!ok) throw new Error("tfjs: the wasm backend failed to initialise");
  await tf.ready();
  scope.Worker = webWorker;
  return { simd: (await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")) as boolean, threads: getThreadsCount() };
}

async function runComparison(jaxThreads: number | undefined, tfjsThreads: number): Promise<RunResult> {
  const loadBefore = formatLoad();
  const vocabulary = [...SPECIAL_TOKENS, ...Array.from({ length: 256 - SPECIAL_TOKENS.length }, (_, i) => `w${i}`)];
  const config: TransformerConfig = {
    ...(POLICY_PRESETS.tiny as NonNullable<(typeof POLICY_PRESETS)["tiny"]>),
    vocabSize: 256,
    maxLength: LENGTH + 1,
  };
  const policy = await InProcessPolicy.create({
    config,
    tokenizer: new WordTokenizer(vocabulary),
    seed: 1,
    microBatch: BATCH,
    threads: jaxThreads,
  });
  // Copy the initial weights before any jax-js step mutates them in place.
  const initial = policy.parameters().map((tensor) => ({ ...tensor, data: tensor.data.slice() }));
  const tfjsBackend = await initTfjs(tfjsThreads);
  const plain = new TfjsPolicy(config, initial, false);
  const tuned = new TfjsPolicy(config, initial, true);

  const random = new Random(2);
  const sequences = Array.from({ length: BATCH }, () => Array.from({ length: LENGTH + 1 }, () => random.int(256)));
  const weights = sequences.map((sequence) => {
    const advantage = random.normal();
    return { logprob: Float32Array.from(sequence, (_, t) => (t > 0 && random.next() < 0.5 ? -advantage / 256 : 0)) };
  });
  // The same batch laid out for tfjs: inputs ids[0..T-1], targets ids[1..T], weights at t = 1..T.
  const batch: TfjsBatch = {
    inputIds: Int32Array.from(sequences.flatMap((sequence) => sequence.slice(0, LENGTH))),
    targetIds: Int32Array.from(sequences.flatMap((sequence) => sequence.slice(1))),
    logprobWeights: Float32Array.from(weights.flatMap((w) => Array.from(w.logprob.subarray(1)))),
    valueWeights: new Float32Array(BATCH * LENGTH),
    entropyWeights: new Float32Array(BATCH * LENGTH),
  };

  // Equivalence at the shared initial weights (this also compiles the jax-js train function).
  const jaxBackward = await policy.backward(sequences, weights);
  const jaxCheck = { objective: jaxBackward.objective, gradNorm: policy.gradientNorm() };
  await policy.step();
  const plainCheck = plain.objectiveAndGradientNorm(batch);
  const tunedCheck = tuned.objectiveAndGradientNorm(batch);

  const runs = {
    jax: {
      forward: () => policy.score(sequences),
      train: async () => {
        await policy.backward(sequences, weights);
        await policy.step();
      },
    },
    tfjs: { forward: () => plain.forward(batch), train: () => plain.trainStep(batch) },
    tfjsTuned: { forward: () => tuned.forward(batch), train: () => tuned.trainStep(batch) },
  };
  type Name = keyof typeof runs;
  const names = Object.keys(runs) as Name[];
  const times = Object.fromEntries(names.map((name) => [name, { forward: [] as number[], train: [] as number[] }]));
  const time = async (into: number[], run: () => unknown) => {
    const start = performance.now();
    await run();
    into.push(performance.now() - start);
  };
  // Warm-up (compile / first kernel calls), then interleave the backends so load changes hit all alike.
  for (const name of names) {
    await runs[name].forward();
    await runs[name].train();
  }
  for (let i = 0; i < FORWARD_REPEATS; i++) {
    for (const name of names) await time((times[name] as { forward: number[] }).forward, runs[name].forward);
  }
  for (let i = 0; i < TRAIN_REPEATS; i++) {
    for (const name of names) await time((times[name] as { train: number[] }).train, runs[name].train);
  }
  policy.dispose();
  const timing = (name: Name, check: { objective: number; gradNorm: number }): Timing => ({
    forwardMs: median((times[name] as { forward: number[] }).forward),
    trainMs: median((times[name] as { train: number[] }).train),
    ...check,
  });
  return {
    jaxThreads: policy.threads,
    tfjsThreads: tfjsBackend.threads,
    tfjsSimd: tfjsBackend.simd,
    jax: timing("jax", jaxCheck),
    tfjs: timing("tfjs", plainCheck),
    tfjsTuned: timing("tfjsTuned", tunedCheck),
    loadBefore,
    loadAfter: formatLoad(),
  };
}

function report(label: string, result: RunResult): void {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const { jax } = result;
  out(`${label}: load average ${result.loadBefore} → ${result.loadAfter}`);
  out(
    `  ${`jax-js (jit, ${result.jaxThreads} thread(s))`.padEnd(27)} J ${jax.objective.toPrecision(7)}, ‖∇J‖ ${jax.gradNorm.toPrecision(7)}; forward ${jax.forwardMs.toFixed(1)} ms, train step ${jax.trainMs.toFixed(1)} ms`,
  );
  const backends: [string, Timing][] = [
    [`tfjs-wasm (${result.tfjsSimd ? "SIMD" : "no SIMD"}, ${result.tfjsThreads} thread(s))`, result.tfjs],
    ["  + explicit transposes", result.tfjsTuned],
  ];
  for (const [name, timing] of backends) {
    const objectiveDiff = Math.abs(timing.objective - jax.objective) / Math.max(Math.abs(jax.objective), 1e-12);
    const gradDiff = Math.abs(timing.gradNorm - jax.gradNorm) / Math.max(jax.gradNorm, 1e-12);
    out(
      `  ${name.padEnd(27)} J ${timing.objective.toPrecision(7)} (rel. Δ ${objectiveDiff.toExponential(1)}), ‖∇J‖ rel. Δ ${gradDiff.toExponential(1)}; forward ${timing.forwardMs.toFixed(1)} ms (tfjs/jax ${(timing.forwardMs / jax.forwardMs).toFixed(2)}×), train step ${timing.trainMs.toFixed(1)} ms (tfjs/jax ${(timing.trainMs / jax.trainMs).toFixed(2)}×)`,
    );
  }
}

function fastestTfjs(result: RunResult): Timing {
  return result.tfjsTuned.trainMs < result.tfjs.trainMs ? result.tfjsTuned : result.tfjs;
}

function bestRatio(result: RunResult): { tfjs: Timing; ratio: number } {
  const tfjs = fastestTfjs(result);
  return { tfjs, ratio: tfjs.trainMs / result.jax.trainMs };
}

function runChild(jaxThreads: number, tfjsThreads: number): RunResult | string {
  const child = spawnSync(
    process.execPath,
    [
      ...process.execArgv,
      fileURLToPath(import.meta.url),
      "--child",
      "--jax-threads",
      String(jaxThreads),
      "--tfjs-threads",
      String(tfjsThreads),
    ],
    { encoding: "utf8", timeout: CHILD_TIMEOUT_MS },
  );
  const line = child.stdout?.split("\n").find((text) => text.startsWith("RESULT "));
  if (line) return JSON.parse(line.slice("RESULT ".length)) as RunResult;
  const why = child.error ? child.error.message : `exit ${child.status ?? child.signal}`;
  const tail = (child.stderr ?? "").trim().split("\n").slice(-3).join(" | ").slice(0, 400);
  return `failed (${why}): ${tail}`;
}

if (isChild) {
  // Child mode: one run with the given thread counts, printed as JSON for the parent.
  const result = await runComparison(numberFlag("--jax-threads"), numberFlag("--tfjs-threads") ?? 1);
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  process.exit(0); // tfjs's pthread workers would keep the process alive
} else {
  const cores = availableParallelism();
  process.stdout.write(
    `policy backends: tiny transformer (V 256, d 128, 4 layers, 4 heads, FFN 512), ${BATCH}×${LENGTH} = ${BATCH * LENGTH} tokens, J = Σ w·log π; train step = forward + backward + global-norm clip + Adam; medians of ${FORWARD_REPEATS} forward / ${TRAIN_REPEATS} train steps after warm-up, backends interleaved; ${cores} cores\n`,
  );
  const runs: [string, RunResult][] = [];
  const defaults = await runComparison(undefined, 1);
  runs.push([`run 1: defaults (jax-js ${defaults.jaxThreads} thread(s); tfjs-wasm as it starts in Node)`, defaults]);
  report(...(runs[0] as [string, RunResult]));
  const single = runChild(1, 1);
  if (typeof single === "string") process.stdout.write(`run 2: jax-js on 1 thread ${single}\n`);
  else {
    runs.push(["run 2 (child process): jax-js on 1 thread", single]);
    report(...(runs[runs.length - 1] as [string, RunResult]));
  }
  const tfjsThreads = Math.max(2, cores);
  const threaded = runChild(defaults.jaxThreads, tfjsThreads);
  if (typeof threaded === "string") {
    process.stdout.write(`run 3: tfjs-wasm with threads forced on ${threaded}\n`);
  } else {
    runs.push([
      `run 3 (child process): tfjs-wasm threaded-SIMD build forced on, setThreadsCount(${tfjsThreads})`,
      threaded,
    ]);
    report(...(runs[runs.length - 1] as [string, RunResult]));
    if (threaded.tfjsThreads < 2) {
      process.stdout.write(
        `  (the threaded build loaded, but XNNPACK reports ${threaded.tfjsThreads} thread: tfjs-wasm runs single-threaded in Node)\n`,
      );
    }
  }
  // Best configuration of each: the run with the fastest jax-js train step (its thread setting), and in
  // that run tfjs's fastest variant; the ratio is always between figures measured in one process.
  const [label, result] = runs.reduce((best, run) => (run[1].jax.trainMs < best[1].jax.trainMs ? run : best));
  const { tfjs, ratio } = bestRatio(result);
  process.stdout.write(
    `best configurations (${label.split(":")[0]}): jax-js ${result.jaxThreads} thread(s) vs tfjs-wasm ${result.tfjsSimd ? "SIMD" : "no SIMD"} ${result.tfjsThreads} thread(s) ${tfjs === result.tfjsTuned ? "with explicit transposes" : "stock matMul"}: train step tfjs/jax ${ratio.toFixed(2)}× (${tfjs.trainMs.toFixed(1)} vs ${result.jax.trainMs.toFixed(1)} ms), forward tfjs/jax ${(tfjs.forwardMs / result.jax.forwardMs).toFixed(2)}× (${tfjs.forwardMs.toFixed(1)} vs ${result.jax.forwardMs.toFixed(1)} ms); best tfjs/jax train-step ratio in every run: ${runs.map(([, run]) => `${bestRatio(run).ratio.toFixed(2)}×`).join(", ")}\n`,
  );
}
