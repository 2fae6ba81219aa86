/**
 * Tinker `forward_backward` data from a rollout batch (the `Datum` of the `tinker` SDK): one Datum per row with the
 * sequence prompt + response, next-token aligned (input = seq[:-1], targets = seq[1:]), the sampler
 * logprobs and the advantages at each target position. Prompt and observation targets get advantage 0
 * and logprob 0, so only model tokens are trained.
 */
import { TrainingError } from "../core/errors.js";
import type { RolloutBatch } from "./rollout-batch.js";
import type { NumberArray } from "./tensor.js";

export interface TinkerTensor {
  data: number[];
  dtype: "int64" | "float32";
  shape: [number];
}

export interface TinkerDatum {
  model_input: { chunks: Array<{ type: "encoded_text"; tokens: number[] }> };
  loss_fn_inputs: { target_tokens: TinkerTensor; logprobs: TinkerTensor; advantages: TinkerTensor };
}

/** Data for `POST /api/v1/forward_backward` with `loss_fn: importance_sampling | ppo | cispo`. */
export function toTinkerData(batch: RolloutBatch, advantages: NumberArray): TinkerDatum[] {
  if (advantages.length !== batch.rows * batch.columns) {
    throw new TrainingError(
      `advantages have ${advantages.length} values but the batch is ${batch.rows}×${batch.columns}`,
    );
  }
  const data: TinkerDatum[] = [];
  for (let i = 0; i < batch.rows; i++) {
    const prompt: number[] = [];
    for (let j = 0; j < batch.promptColumns; j++) {
      const k = i * batch.promptColumns + j;
      if (batch.promptAttentionMask[k] === 1) prompt.push(batch.promptIds[k] as number);
    }
    const length = batch.validLengths[i] as number;
    const base = i * batch.columns;
    const sequence = [...prompt, ...Array.from(batch.responseIds.subarray(base, base + length))];
    if (sequence.length < 2)
      throw new TrainingError(`row ${i} has fewer than two tokens; Tinker needs a next-token target`);
    const targets = sequence.slice(1);
    const logprobs = new Array<number>(targets.length).fill(0);
    const rowAdvantages = new Array<number>(targets.length).fill(0);
    for (let t = 0; t < length; t++) {
      const target = prompt.length + t - 1;
      if (target < 0 || batch.responseMask[base + t] === 0) continue;
      logprobs[target] = batch.oldLogProb[base + t] as number;
      rowAdvantages[target] = advantages[base + t] as number;
    }
    data.push({
      model_input: { chunks: [{ type: "encoded_text", tokens: sequence.slice(0, -1) }] },
      loss_fn_inputs: {
        target_tokens: { data: targets, dtype: "int64", shape: [targets.length] },
        logprobs: { data: logprobs, dtype: "float32", shape: [targets.length] },
        advantages: { data: rowAdvantages, dtype: "float32", shape: [targets.length] },
      },
    });
  }
  return data;
}
