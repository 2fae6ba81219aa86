/** `--algo` presets: which advantage estimator, policy loss and extras each algorithm uses. */
import { InputError } from "../../core/errors.js";
import type { LossAggMode } from "../loss-aggregation.js";

export interface AlgorithmPreset {
  /** verl `algorithm.adv_estimator` name (src/rl/advantage-registry.ts). */
  estimator: string;
  /** verl `actor.policy_loss.loss_mode` (src/rl/policy-loss-registry.ts). */
  lossMode: string;
  lossAggMode: LossAggMode;
  /** Train the value head with the clipped value loss (GAE needs it). */
  critic: boolean;
  /** DAPO dynamic sampling: drop groups whose scores are all equal. */
  filterGroups: boolean;
  clipRatioHigh?: number;
  description: string;
}

const base = { lossMode: "vanilla", lossAggMode: "token-mean" as LossAggMode, critic: false, filterGroups: false };

export const ALGORITHMS: Record<string, AlgorithmPreset> = {
  grpo: { ...base, estimator: "grpo", description: "GRPO: group-normalised outcome advantage, PPO clip" },
  ppo: { ...base, estimator: "gae", critic: true, description: "PPO: GAE over model tokens with a value head" },
  dapo: {
    ...base,
    estimator: "grpo",
    clipRatioHigh: 0.28,
    filterGroups: true,
    description: "DAPO: clip-higher 0.28, token-mean, drop all-equal groups",
  },
  "dr-grpo": {
    ...base,
    estimator: "dr_grpo",
    lossAggMode: "seq-mean-token-sum-norm",
    description: "Dr.GRPO: no std normalisation, seq-mean-token-sum-norm",
  },
  rloo: { ...base, estimator: "rloo", description: "RLOO: leave-one-out baseline" },
  "reinforce++": { ...base, estimator: "reinforce_plus_plus", description: "REINFORCE++: whitened returns" },
  "reinforce++-baseline": {
    ...base,
    estimator: "reinforce_plus_plus_baseline",
    description: "REINFORCE++ with a group-mean baseline",
  },
  gpg: { ...base, estimator: "gpg", lossMode: "gpg", description: "GPG: no ratio, no clip" },
  opo: { ...base, estimator: "opo", description: "OPO: length-weighted group baseline" },
  "grpo-passk": { ...base, estimator: "grpo_passk", description: "GRPO pass@k: only the best sample is reinforced" },
};

export function getAlgorithm(name: string): AlgorithmPreset {
  const preset = ALGORITHMS[name];
  if (!preset) throw new InputError(`unknown --algo "${name}"; known: ${Object.keys(ALGORITHMS).join(", ")}`);
  return preset;
}
