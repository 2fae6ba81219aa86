/**
 * GAE with masked observation tokens, as in current verl `compute_gae_advantage_return`: values and the
 * running advantage are carried across mask-0 tokens, so an observation block is skipped and γ applies
 * once across it. Returns G = A + V (before whitening); advantages are then whitened over the batch.
 */
import { InputError } from "../core/errors.js";
import {
  type AdvantageConfig,
  type AdvantageInput,
  type AdvantageOutput,
  DEFAULT_ADVANTAGE_CONFIG,
} from "./advantage-types.js";
import { assertShape, maskedWhiten } from "./tensor.js";

export function computeGaeAdvantage(input: AdvantageInput, config: Partial<AdvantageConfig> = {}): AdvantageOutput {
  const { gamma, lam } = { ...DEFAULT_ADVANTAGE_CONFIG, ...config };
  const { rows, columns, tokenLevelRewards: rewards, responseMask: mask, values } = input;
  if (!values) throw new InputError("gae needs critic `values` for every response token");
  assertShape("values", values, input);
  const raw = new Float64Array(rows * columns);
  const returns = new Float64Array(rows * columns);
  for (let i = 0; i < rows; i++) {
    const base = i * columns;
    let nextValue = 0;
    let lastAdvantage = 0;
    for (let t = columns - 1; t >= 0; t--) {
      const k = base + t;
      const m = mask[k] as number;
      const value = values[k] as number;
      const delta = (rewards[k] as number) + gamma * nextValue - value;
      const advantage = delta + gamma * lam * lastAdvantage;
      nextValue = value * m + (1 - m) * nextValue;
      lastAdvantage = advantage * m + (1 - m) * lastAdvantage;
      raw[k] = lastAdvantage;
      returns[k] = lastAdvantage + value;
    }
  }
  return { advantages: maskedWhiten(raw, mask), returns };
}
