/**
 * The remote-trainer seam (Tinker-style, interop.md §6): a GPU service that owns the weights and
 * exposes forward_backward (per-token loss inputs) and optim_step. This file defines the interface and
 * builds the request bodies from a token batch; it sends nothing by itself.
 *
 * Positions are next-token aligned: model_input = seq[:-1], target_tokens = seq[1:]. Prompt and
 * observation positions get advantage 0 (and weight 0 for cross_entropy).
 */
import { toTinkerData } from "../tinker-datum.js";
import type { TokenBatch } from "../trainer/token-batch.js";

export type RemoteLossFunction = "cross_entropy" | "importance_sampling" | "ppo" | "cispo" | "dro";

export interface TensorData {
  data: number[];
  dtype: "int64" | "float32";
  shape: number[];
}

export interface RemoteDatum {
  model_input: { chunks: { type: "encoded_text"; tokens: number[] }[] };
  loss_fn_inputs: Record<string, TensorData>;
}

export interface ForwardBackwardRequest {
  forward_backward_input: {
    data: RemoteDatum[];
    loss_fn: RemoteLossFunction;
    loss_fn_config: Record<string, number> | null;
  };
  model_id: string;
  seq_id?: number;
}

export interface AdamParams {
  learning_rate: number;
  beta1: number;
  beta2: number;
  eps: number;
  weight_decay: number;
  grad_clip_norm: number;
}

export interface OptimStepRequest {
  adam_params: AdamParams;
  model_id: string;
  seq_id?: number;
  type: "optim_step";
}

/** What a remote trainer offers; an HTTP client for a given service implements it. */
export interface RemoteTrainer {
  forwardBackward(request: ForwardBackwardRequest): Promise<{ metrics: Record<string, number> }>;
  optimStep(request: OptimStepRequest): Promise<{ metrics: Record<string, number> }>;
}

/**
 * One Datum per row. `advantages` is response-aligned [rows × columns] (from an advantage estimator);
 * masked positions (observations, padding) get 0 so they add nothing.
 */
export function forwardBackwardRequest(
  batch: TokenBatch,
  advantages: ArrayLike<number>,
  options: { modelId: string; lossFunction?: RemoteLossFunction; seqId?: number; clipLow?: number; clipHigh?: number },
): ForwardBackwardRequest {
  const lossFunction = options.lossFunction ?? "importance_sampling";
  // Policy-gradient losses: the Datum layout of src/rl/tinker-datum.ts (loss mask from the batch).
  const masked = Float64Array.from(
    advantages as ArrayLike<number>,
    (value, k) => value * (batch.lossMask[k] as number),
  );
  const data: RemoteDatum[] =
    lossFunction === "cross_entropy"
      ? batch.sequences.map((sequence, row) => {
          const length = sequence.length - 1;
          const weights = new Array<number>(length).fill(0);
          const promptLength = batch.promptLengths[row] as number;
          for (let t = 0; t < (batch.responseLengths[row] as number); t++) {
            weights[promptLength + t - 1] = batch.lossMask[row * batch.columns + t] as number;
          }
          return {
            model_input: { chunks: [{ type: "encoded_text", tokens: sequence.slice(0, -1) }] },
            loss_fn_inputs: {
              target_tokens: { data: sequence.slice(1), dtype: "int64", shape: [length] },
              weights: { data: weights, dtype: "float32", shape: [length] },
            },
          };
        })
      : toTinkerData(batch.rollout, masked).map((datum) => ({
          model_input: datum.model_input,
          loss_fn_inputs: { ...datum.loss_fn_inputs },
        }));
  const config: Record<string, number> = {};
  if (options.clipLow !== undefined) config.clip_low_threshold = options.clipLow;
  if (options.clipHigh !== undefined) config.clip_high_threshold = options.clipHigh;
  return {
    forward_backward_input: {
      data,
      loss_fn: lossFunction,
      loss_fn_config: Object.keys(config).length > 0 ? config : null,
    },
    model_id: options.modelId,
    ...(options.seqId !== undefined ? { seq_id: options.seqId } : {}),
  };
}

export function optimStepRequest(modelId: string, adam: Partial<AdamParams> = {}, seqId?: number): OptimStepRequest {
  return {
    adam_params: {
      learning_rate: adam.learning_rate ?? 1e-4,
      beta1: adam.beta1 ?? 0.9,
      beta2: adam.beta2 ?? 0.95,
      eps: adam.eps ?? 1e-12,
      weight_decay: adam.weight_decay ?? 0,
      grad_clip_norm: adam.grad_clip_norm ?? 0,
    },
    model_id: modelId,
    ...(seqId !== undefined ? { seq_id: seqId } : {}),
    type: "optim_step",
  };
}
