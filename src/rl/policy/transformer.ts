/**
 * A small decoder-only transformer (pre-RMSNorm, causal multi-head attention written with explicit
 * matmuls, GELU MLP, tied input/output embeddings, a scalar value head) on @jax-js/jax.
 *
 * Everything that needs autograd lives here; the RL math stays in plain typed arrays. The one
 * differentiated objective is
 *
 *   J(θ) = Σ_{b,t} w_{b,t}·log πθ(y_{b,t} | y_{b,<t}) + Σ_{b,t} u_{b,t}·Vθ(y_{b,≤t}) + Σ_{b,t} e_{b,t}·Hθ(·| y_{b,<t})
 *
 * where the weights w (per-token d(loss)/d(logprob)), u (d(loss)/d(value)) and e (d(loss)/d(entropy))
 * come from the loss functions. ∇J is therefore exactly ∇loss, and a token whose weights are all
 * zero contributes nothing to the gradient.
 *
 * jax-js uses reference-counted ownership: every array passed to a function is consumed, so an array
 * used twice is passed as `x.ref` the first time. The jax-js module is passed in (`Jax`, from
 * jax-runtime.ts) rather than imported, so that its backend can be configured before it loads.
 */
import type { Array as JaxArray, OwnedFunction } from "@jax-js/jax";
import { Random } from "../../core/random.js";
import type { Jax } from "./jax-runtime.js";

export interface TransformerConfig {
  vocabSize: number;
  dModel: number;
  layers: number;
  heads: number;
  ffn: number;
  /** Longest sequence (prompt + response) the model accepts. */
  maxLength: number;
}

export type LayerParams = {
  norm1: JaxArray;
  wqkv: JaxArray;
  wo: JaxArray;
  norm2: JaxArray;
  w1: JaxArray;
  w2: JaxArray;
};

export type TransformerParams = {
  embedding: JaxArray;
  position: JaxArray;
  layers: LayerParams[];
  normFinal: JaxArray;
  valueHead: JaxArray;
};

/** Host-side (plain Float32Array) copy of the parameters, in a fixed order, for checkpoints and the optimizer. */
export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

export function parameterShapes(config: TransformerConfig): { name: string; shape: number[] }[] {
  const { vocabSize: v, dModel: d, ffn: f, maxLength: t } = config;
  const shapes = [
    { name: "embedding", shape: [v, d] },
    { name: "position", shape: [t, d] },
  ];
  for (let l = 0; l < config.layers; l++) {
    shapes.push(
      { name: `layers.${l}.norm1`, shape: [d] },
      { name: `layers.${l}.wqkv`, shape: [d, 3 * d] },
      { name: `layers.${l}.wo`, shape: [d, d] },
      { name: `layers.${l}.norm2`, shape: [d] },
      { name: `layers.${l}.w1`, shape: [d, f] },
      { name: `layers.${l}.w2`, shape: [f, d] },
    );
  }
  shapes.push({ name: "normFinal", shape: [d] }, { name: "valueHead", shape: [d, 1] });
  return shapes;
}

export function countParameters(config: TransformerConfig): number {
  return parameterShapes(config).reduce((sum, item) => sum + item.shape.reduce((a, b) => a * b, 1), 0);
}

/** Seeded initialisation (GPT-2 style, embeddings at 1/√d). Norm gains start at 1, the value head at 0. */
export function initialTensors(config: TransformerConfig, seed: number): NamedTensor[] {
  const random = new Random(seed);
  const residualScale = 0.02 / Math.sqrt(2 * config.layers);
  return parameterShapes(config).map(({ name, shape }) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    if (name.includes("norm")) data.fill(1);
    else if (name !== "valueHead") {
      // Tied embeddings start at 1/√d so that rarely seen tokens (copied from observations) are not
      // drowned by the frequent ones; the rest follows GPT-2.
      const std =
        name === "embedding"
          ? 1 / Math.sqrt(config.dModel)
          : name.endsWith(".wo") || name.endsWith(".w2")
            ? residualScale
            : 0.02;
      for (let i = 0; i < size; i++) data[i] = random.normal() * std;
    }
    return { name, shape, data };
  });
}

export function paramsFromTensors(
  jax: Jax,
  config: TransformerConfig,
  tensors: readonly NamedTensor[],
): TransformerParams {
  const np = jax.numpy;
  const byName = new Map(tensors.map((tensor) => [tensor.name, tensor]));
  const get = (name: string) => {
    const tensor = byName.get(name);
    if (!tensor) throw new Error(`missing parameter ${name}`);
    return np.array(tensor.data).reshape(tensor.shape);
  };
  const layers: LayerParams[] = [];
  for (let l = 0; l < config.layers; l++) {
    layers.push({
      norm1: get(`layers.${l}.norm1`),
      wqkv: get(`layers.${l}.wqkv`),
      wo: get(`layers.${l}.wo`),
      norm2: get(`layers.${l}.norm2`),
      w1: get(`layers.${l}.w1`),
      w2: get(`layers.${l}.w2`),
    });
  }
  return {
    embedding: get("embedding"),
    position: get("position"),
    layers,
    normFinal: get("normFinal"),
    valueHead: get("valueHead"),
  };
}

/** Flatten a params tree (or a gradient tree of the same shape) in `parameterShapes` order, without consuming it. */
export function flattenParams(params: TransformerParams): JaxArray[] {
  const out: JaxArray[] = [params.embedding, params.position];
  for (const layer of params.layers) out.push(layer.norm1, layer.wqkv, layer.wo, layer.norm2, layer.w1, layer.w2);
  out.push(params.normFinal, params.valueHead);
  return out;
}

function rmsNorm(jax: Jax, x: JaxArray, gain: JaxArray): JaxArray {
  const np = jax.numpy;
  const meanSquare = np.mean(np.square(x.ref), -1, { keepdims: true });
  return x.mul(np.reciprocal(np.sqrt(meanSquare.add(1e-5)))).mul(gain);
}

/**
 * Hidden states [B, T, d] for one-hot inputs [B, T, V]. Causal: position t sees positions ≤ t only,
 * so right padding never changes earlier positions.
 */
function hidden(
  jax: Jax,
  config: TransformerConfig,
  params: TransformerParams,
  inputs: JaxArray,
  causalMask: JaxArray,
) {
  const { numpy: np, nn } = jax;
  const [batch, length] = inputs.shape as [number, number, number];
  const d = config.dModel;
  const h = config.heads;
  const dh = d / h;
  const scale = 1 / Math.sqrt(dh);
  // A one-hot matmul rather than an embedding gather: jax-js differentiates a gather with a
  // scatter-add that runs as a JavaScript routine, measured slower (≈10–20 ms per backward) than
  // the two small one-hot matmuls it replaces (≈5 ms).
  let x = np.matmul(inputs, params.embedding.ref);
  x = x.add(params.position.ref.slice([0, length]));
  for (const layer of params.layers) {
    const normed = rmsNorm(jax, x.ref, layer.norm1.ref);
    const qkv = np.matmul(normed, layer.wqkv.ref).reshape([batch, length, 3, h, dh]);
    const heads = np.transpose(qkv, [2, 0, 3, 1, 4]); // [3, B, H, T, dh]
    const q = heads.ref.slice(0).mul(scale);
    const k = heads.ref.slice(1);
    const v = heads.slice(2);
    const scores = np.matmul(q, np.swapaxes(k, -1, -2)).add(causalMask.ref); // [B, H, T, T]
    const attention = np.matmul(nn.softmax(scores, -1), v); // [B, H, T, dh]
    const merged = np.transpose(attention, [0, 2, 1, 3]).reshape([batch, length, d]);
    x = x.add(np.matmul(merged, layer.wo.ref));
    const normed2 = rmsNorm(jax, x.ref, layer.norm2.ref);
    x = x.add(np.matmul(nn.gelu(np.matmul(normed2, layer.w1.ref)), layer.w2.ref));
  }
  causalMask.dispose();
  return rmsNorm(jax, x, params.normFinal.ref);
}

function causalMaskFor(jax: Jax, length: number): JaxArray {
  const data = new Float32Array(length * length);
  for (let i = 0; i < length; i++) for (let j = i + 1; j < length; j++) data[i * length + j] = -1e9;
  return jax.numpy.array(data).reshape([length, length]);
}

export interface ObjectiveInputs {
  /** One-hot inputs [B, T, V]. */
  inputs: JaxArray;
  /** One-hot next-token targets [B, T, V] (all-zero rows for positions without a target). */
  targets: JaxArray;
  /** d(loss)/d(logprob) per position [B, T]. */
  logprobWeights: JaxArray;
  /** d(loss)/d(value) per position [B, T]. */
  valueWeights: JaxArray;
  /** d(loss)/d(entropy) per position [B, T]. */
  entropyWeights: JaxArray;
}

export type Outputs = {
  /** log πθ(target) per position [B, T]. */
  logprobs: JaxArray;
  /** Entropy of the next-token distribution per position [B, T]. */
  entropy: JaxArray;
  /** Value head per position [B, T]. */
  values: JaxArray;
};

function outputs(
  jax: Jax,
  config: TransformerConfig,
  params: TransformerParams,
  inputs: JaxArray,
  targets: JaxArray,
  causalMask: JaxArray,
): Outputs {
  const { numpy: np, nn } = jax;
  const x = hidden(jax, config, params, inputs, causalMask);
  const logits = np.matmul(x.ref, np.transpose(params.embedding.ref, [1, 0]));
  const logp = nn.logSoftmax(logits, -1);
  const logprobs = np.sum(logp.ref.mul(targets), -1);
  const entropy = np.negative(np.sum(np.exp(logp.ref).mul(logp), -1));
  const values = np.matmul(x, params.valueHead.ref).reshape(logprobs.shape);
  return { logprobs, entropy, values };
}

/** Compiled functions for one (batch, length) shape. */
export interface CompiledModel {
  /** Next-token log-probabilities [B, T, V] for one-hot inputs. */
  logits: OwnedFunction<(params: TransformerParams, inputs: JaxArray) => JaxArray>;
  /** Teacher-forced outputs (no gradient). */
  evaluate: OwnedFunction<(params: TransformerParams, inputs: JaxArray, targets: JaxArray) => Outputs>;
  /** [[J, outputs], ∇J] for the objective in the header. */
  objectiveAndGrad: OwnedFunction<
    (
      params: TransformerParams,
      inputs: JaxArray,
      targets: JaxArray,
      logprobWeights: JaxArray,
      valueWeights: JaxArray,
      entropyWeights: JaxArray,
    ) => [[JaxArray, Outputs], TransformerParams]
  >;
  /**
   * The same with value and entropy weights all zero (J = Σ w·log π): the value and entropy heads are
   * still computed as outputs, but no gradient flows through them.
   */
  logprobObjectiveAndGrad: OwnedFunction<
    (
      params: TransformerParams,
      inputs: JaxArray,
      targets: JaxArray,
      logprobWeights: JaxArray,
    ) => [[JaxArray, Outputs], TransformerParams]
  >;
}

export function compileModel(jax: Jax, config: TransformerConfig, length: number): CompiledModel {
  const { numpy: np, nn, jit, valueAndGrad } = jax;
  const mask = () => causalMaskFor(jax, length);
  const logits = jit((params: TransformerParams, inputs: JaxArray) => {
    const x = hidden(jax, config, params, inputs, mask());
    return nn.logSoftmax(np.matmul(x, np.transpose(params.embedding.ref, [1, 0])), -1);
  });
  const evaluate = jit((params: TransformerParams, inputs: JaxArray, targets: JaxArray) =>
    outputs(jax, config, params, inputs, targets, mask()),
  );
  const objective = (
    params: TransformerParams,
    inputs: JaxArray,
    targets: JaxArray,
    logprobWeights: JaxArray,
    valueWeights: JaxArray,
    entropyWeights: JaxArray,
  ): [JaxArray, Outputs] => {
    const out = outputs(jax, config, params, inputs, targets, mask());
    const total = np
      .sum(out.logprobs.ref.mul(logprobWeights))
      .add(np.sum(out.values.ref.mul(valueWeights)))
      .add(np.sum(out.entropy.ref.mul(entropyWeights)));
    return [total, out];
  };
  const objectiveAndGrad = jit(
    valueAndGrad(objective, { hasAux: true }),
  ) as unknown as CompiledModel["objectiveAndGrad"];
  const logprobObjective = (
    params: TransformerParams,
    inputs: JaxArray,
    targets: JaxArray,
    logprobWeights: JaxArray,
  ): [JaxArray, Outputs] => {
    const out = outputs(jax, config, params, inputs, targets, mask());
    return [np.sum(out.logprobs.ref.mul(logprobWeights)), out];
  };
  const logprobObjectiveAndGrad = jit(
    valueAndGrad(logprobObjective, { hasAux: true }),
  ) as unknown as CompiledModel["logprobObjectiveAndGrad"];
  return { logits, evaluate, objectiveAndGrad, logprobObjectiveAndGrad };
}
