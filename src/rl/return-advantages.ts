/**
 * Estimators built on per-token discounted returns: REINFORCE++ (whitened returns, arXiv 2501.03262) and
 * ReMax (return minus a greedy-rollout baseline, arXiv 2310.10505). Formulas follow verl `core_algos.py`.
 */
import { InputError } from "../core/errors.js";
import {
  type AdvantageConfig,
  type AdvantageInput,
  type AdvantageOutput,
  DEFAULT_ADVANTAGE_CONFIG,
} from "./advantage-types.js";
import { assertRows, maskedWhiten } from "./tensor.js";

/** G_{i,t} = r_{i,t} + γ·G_{i,t+1}, with the running return multiplied by m_{i,t} after each step; A = whiten_m(G)·m. */
export function computeReinforcePlusPlusAdvantage(
  input: AdvantageInput,
  config: Partial<AdvantageConfig> = {},
): AdvantageOutput {
  const { gamma } = { ...DEFAULT_ADVANTAGE_CONFIG, ...config };
  const { rows, columns, tokenLevelRewards: rewards, responseMask: mask } = input;
  const returns = new Float64Array(rows * columns);
  for (let i = 0; i < rows; i++) {
    const base = i * columns;
    let running = 0;
    for (let t = columns - 1; t >= 0; t--) {
      const k = base + t;
      running = (rewards[k] as number) + gamma * running;
      returns[k] = running;
      running *= mask[k] as number;
    }
  }
  const advantages = maskedWhiten(returns, mask);
  for (let k = 0; k < advantages.length; k++) advantages[k] = (advantages[k] as number) * (mask[k] as number);
  return { advantages, returns };
}

/** returns_{i,t} = Σ_{t'≥t} r_{i,t'}·m_{i,t'};  A_{i,t} = returns_{i,t} − b_i·m_{i,t}. */
export function computeRemaxAdvantage(input: AdvantageInput): AdvantageOutput {
  const { rows, columns, tokenLevelRewards: rewards, responseMask: mask, rewardBaselines } = input;
  if (!rewardBaselines) {
    throw new InputError("remax needs `reward_baselines`: the reward of a greedy rollout for each response's prompt");
  }
  assertRows("reward_baselines", rewardBaselines, rows);
  const returns = new Float64Array(rows * columns);
  const advantages = new Float64Array(rows * columns);
  for (let i = 0; i < rows; i++) {
    const base = i * columns;
    const baseline = rewardBaselines[i] as number;
    let running = 0;
    for (let t = columns - 1; t >= 0; t--) {
      const k = base + t;
      const m = mask[k] as number;
      running += (rewards[k] as number) * m;
      returns[k] = running;
      advantages[k] = running - baseline * m;
    }
  }
  return { advantages, returns };
}
