/**
 * Group (outcome) estimators: one scalar per response, broadcast over its valid tokens. The sequence score
 * is R_i = Σ_t r_{i,t}; groups are the rows sharing an `index` (prompt uid). Each function follows the
 * matching verl `compute_*_outcome_advantage` in `verl/trainer/ppo/core_algos.py`, including its handling of
 * groups of one.
 */
import { InputError } from "../core/errors.js";
import {
  type AdvantageConfig,
  type AdvantageInput,
  type AdvantageOutput,
  DEFAULT_ADVANTAGE_CONFIG,
} from "./advantage-types.js";
import { assertRows, broadcastRows, groupRows, maskedWhiten, meanAndStd, rowMaskSums, rowSums } from "./tensor.js";

function requireIndex(name: string, input: AdvantageInput): readonly (string | number)[] {
  if (!input.index) {
    throw new InputError(
      `${name} needs \`index\`: one group id (prompt uid) per response, shared by a prompt's samples`,
    );
  }
  assertRows("index", input.index, input.rows);
  return input.index;
}

function outcome(scores: Float64Array, input: AdvantageInput): AdvantageOutput {
  const advantages = broadcastRows(scores, input.responseMask, input);
  return { advantages, returns: advantages.slice() };
}

/**
 * GRPO (arXiv 2402.03300): A_i = (R_i − mean_g R)/(std_g R + ε), or R_i − mean_g R without std
 * (Dr.GRPO, `norm_adv_by_std_in_grpo=false`). A group of one uses mean 0 and std 1.
 */
export function computeGrpoAdvantage(input: AdvantageInput, config: Partial<AdvantageConfig> = {}): AdvantageOutput {
  const { normAdvByStdInGrpo, epsilon } = { ...DEFAULT_ADVANTAGE_CONFIG, ...config };
  const index = requireIndex("grpo", input);
  const scores = rowSums(input.tokenLevelRewards, input);
  const out = new Float64Array(input.rows);
  for (const rows of groupRows(index).values()) {
    const { mean, std } = rows.length > 1 ? meanAndStd(scores, rows) : { mean: 0, std: 1 };
    for (const i of rows) {
      const centred = (scores[i] as number) - mean;
      out[i] = normAdvByStdInGrpo ? centred / (std + epsilon) : centred;
    }
  }
  return outcome(out, input);
}

/** RLOO (arXiv 2402.14740): A_i = n/(n−1)·(R_i − mean_g R); a group of one keeps A_i = R_i. */
export function computeRlooAdvantage(input: AdvantageInput): AdvantageOutput {
  const index = requireIndex("rloo", input);
  const scores = rowSums(input.tokenLevelRewards, input);
  const out = new Float64Array(input.rows);
  for (const rows of groupRows(index).values()) {
    const n = rows.length;
    const { mean } = meanAndStd(scores, rows);
    for (const i of rows) {
      const score = scores[i] as number;
      out[i] = n > 1 ? (score * n) / (n - 1) - (mean * n) / (n - 1) : score;
    }
  }
  return outcome(out, input);
}

/** REINFORCE++-baseline: A = whiten_m((R_i − mean_g R)·m)·m (group of one: mean 0). */
export function computeReinforcePlusPlusBaselineAdvantage(input: AdvantageInput): AdvantageOutput {
  const index = requireIndex("reinforce_plus_plus_baseline", input);
  const scores = rowSums(input.tokenLevelRewards, input);
  const centred = new Float64Array(input.rows);
  for (const rows of groupRows(index).values()) {
    const mean = rows.length > 1 ? meanAndStd(scores, rows).mean : 0;
    for (const i of rows) centred[i] = (scores[i] as number) - mean;
  }
  const mask = input.responseMask;
  const advantages = maskedWhiten(broadcastRows(centred, mask, input), mask);
  for (let k = 0; k < advantages.length; k++) advantages[k] = (advantages[k] as number) * (mask[k] as number);
  return { advantages, returns: advantages.slice() };
}

/**
 * GPG: α = B / max(1, #{i : R_i ≠ 0}); A_i = α·(R_i − mean_g R)/f_norm with f_norm = 1 (group of one: mean 0).
 * Pair it with the `gpg` policy loss.
 */
export function computeGpgAdvantage(input: AdvantageInput): AdvantageOutput {
  const index = requireIndex("gpg", input);
  const scores = rowSums(input.tokenLevelRewards, input);
  let nonZero = 0;
  for (const score of scores) if (score !== 0) nonZero += 1;
  const alpha = input.rows / Math.max(1, nonZero);
  const out = new Float64Array(input.rows);
  for (const rows of groupRows(index).values()) {
    const mean = rows.length > 1 ? meanAndStd(scores, rows).mean : 0;
    for (const i of rows) out[i] = alpha * ((scores[i] as number) - mean);
  }
  return outcome(out, input);
}

/** OPO (arXiv 2505.23585): b_g = Σ_j |o_j|·R_j / Σ_j |o_j| (length-weighted); A_i = R_i − b_g (group of one: b = 0). */
export function computeOpoAdvantage(input: AdvantageInput): AdvantageOutput {
  const index = requireIndex("opo", input);
  const scores = rowSums(input.tokenLevelRewards, input);
  const lengths = rowMaskSums(input.responseMask, input);
  const out = new Float64Array(input.rows);
  for (const rows of groupRows(index).values()) {
    let baseline = 0;
    if (rows.length > 1) {
      let weighted = 0;
      let total = 0;
      for (const i of rows) {
        weighted += (lengths[i] as number) * (scores[i] as number);
        total += lengths[i] as number;
      }
      baseline = weighted / total;
    }
    for (const i of rows) out[i] = (scores[i] as number) - baseline;
  }
  return outcome(out, input);
}

/**
 * GRPO pass@k (arXiv 2503.19595): only the best member of each group gets A = R_(1) − R_(2), divided by
 * (std_g R + ε) when `norm_adv_by_std_in_grpo`; all others get 0. Needs at least two samples per group.
 * Ties go to the first row of the group holding the maximum.
 */
export function computeGrpoPassAtKAdvantage(
  input: AdvantageInput,
  config: Partial<AdvantageConfig> = {},
): AdvantageOutput {
  const { normAdvByStdInGrpo, epsilon } = { ...DEFAULT_ADVANTAGE_CONFIG, ...config };
  const index = requireIndex("grpo_passk", input);
  const scores = rowSums(input.tokenLevelRewards, input);
  const out = new Float64Array(input.rows);
  for (const [group, rows] of groupRows(index)) {
    if (rows.length < 2) {
      throw new InputError(`grpo_passk needs at least 2 samples per group; group ${String(group)} has ${rows.length}`);
    }
    let best = rows[0] as number;
    for (const i of rows) if ((scores[i] as number) > (scores[best] as number)) best = i;
    let second = Number.NEGATIVE_INFINITY;
    for (const i of rows) if (i !== best && (scores[i] as number) > second) second = scores[i] as number;
    let advantage = (scores[best] as number) - second;
    if (normAdvByStdInGrpo) advantage /= meanAndStd(scores, rows).std + epsilon;
    out[best] = advantage;
  }
  return outcome(out, input);
}
