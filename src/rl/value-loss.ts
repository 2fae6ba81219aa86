/**
 * PPO critic loss with value clipping (verl `compute_value_loss`):
 * V_clip = clip(V_new, V_old − ε_v, V_old + ε_v); L_V = ½·agg(max((V_new − G)², (V_clip − G)²), m).
 */
import { type AggregationOptions, aggregationRowWeights } from "./loss-aggregation.js";
import { assertShape, type BatchShape, type NumberArray } from "./tensor.js";

export interface ValueLossInput extends BatchShape {
  /** V_new: the critic's current predictions. */
  valuePredictions: NumberArray;
  /** V_old: the values used for GAE. */
  values: NumberArray;
  /** G: returns from GAE. */
  returns: NumberArray;
  responseMask: NumberArray;
}

export interface ValueLossOutput {
  loss: number;
  /** mean_m[(V_clip − G)² > (V_new − G)²]. */
  vf_clipfrac: number;
  /** d loss / d V_new per token. */
  gradValues: Float64Array;
}

export function computeValueLoss(
  input: ValueLossInput,
  clipRangeValue = 0.5,
  aggregation: AggregationOptions = { mode: "token-mean" },
): ValueLossOutput {
  for (const name of ["valuePredictions", "values", "returns", "responseMask"] as const) {
    assertShape(name, input[name], input);
  }
  const { rows, columns, valuePredictions, values, returns, responseMask: mask } = input;
  const rowWeights = aggregationRowWeights(mask, input, aggregation);
  const gradValues = new Float64Array(rows * columns);
  let loss = 0;
  let clipped = 0;
  let tokens = 0;
  for (let i = 0; i < rows; i++) {
    const weight = rowWeights[i] as number;
    const base = i * columns;
    for (let t = 0; t < columns; t++) {
      const k = base + t;
      const m = mask[k] as number;
      if (m === 0) continue;
      const prediction = valuePredictions[k] as number;
      const target = returns[k] as number;
      const old = values[k] as number;
      const low = old - clipRangeValue;
      const high = old + clipRangeValue;
      const inRange = prediction >= low && prediction <= high;
      const clippedPrediction = inRange ? prediction : prediction < low ? low : high;
      const loss1 = (prediction - target) ** 2;
      const loss2 = (clippedPrediction - target) ** 2;
      const grad1 = 2 * (prediction - target);
      const grad2 = inRange ? 2 * (clippedPrediction - target) : 0;
      const tokenLoss = Math.max(loss1, loss2);
      const tokenGrad = loss1 > loss2 ? grad1 : loss2 > loss1 ? grad2 : 0.5 * (grad1 + grad2);
      if (loss2 > loss1) clipped += m;
      loss += 0.5 * weight * m * tokenLoss;
      gradValues[k] = 0.5 * weight * m * tokenGrad;
      tokens += m;
    }
  }
  return { loss, vf_clipfrac: clipped / (tokens + 1e-8), gradValues };
}
