/** The registry of policy losses under verl's `actor.policy_loss.loss_mode` names. */
import { InputError } from "../core/errors.js";
import { computeClipCovPolicyLoss, computeKlCovPolicyLoss } from "./covariance-losses.js";
import type { PolicyLoss } from "./policy-loss-types.js";
import {
  computeCispoPolicyLoss,
  computeGpgPolicyLoss,
  computeGspoPolicyLoss,
  computeImportanceSamplingPolicyLoss,
  computeVanillaPolicyLoss,
} from "./policy-losses.js";

const losses: readonly PolicyLoss[] = [
  {
    name: "vanilla",
    formula: "ℓ = A<0 ? min(max(−Aρ, −A·clip(ρ,1−ε_low,1+ε_high)), −cA) : max(−Aρ, −A·clip(ρ,1−ε_low,1+ε_high))",
    compute: computeVanillaPolicyLoss,
  },
  {
    name: "gspo",
    formula: "ρ_i = exp(Σ_t m(log πθ − log π_old)/|o_i|) per sequence, PPO clip on ρ_i, seq-mean-token-mean",
    compute: computeGspoPolicyLoss,
  },
  {
    name: "cispo",
    formula: "ℓ = −sg(clip(ρ, 1−ε_low, 1+ε_high))·A·log πθ",
    compute: computeCispoPolicyLoss,
  },
  { name: "gpg", formula: "ℓ = −A·log πθ", compute: computeGpgPolicyLoss },
  {
    name: "clip_cov",
    formula: "PPO clip; a random few unclipped tokens with cov(A, log πθ) in (lb, ub) are detached",
    compute: computeClipCovPolicyLoss,
  },
  {
    name: "kl_cov",
    formula: "ℓ = −Aρ, plus ppo_kl_coef·|log ρ| on the top-covariance tokens",
    compute: computeKlCovPolicyLoss,
  },
  {
    name: "importance_sampling",
    formula: "ℓ = −ρ·A (Tinker; no clip)",
    compute: computeImportanceSamplingPolicyLoss,
  },
];

export function listPolicyLosses(): readonly PolicyLoss[] {
  return losses;
}

/** Look a policy loss up by verl name; unknown names list the known ones. */
export function getPolicyLoss(name: string): PolicyLoss {
  const found = losses.find((loss) => loss.name === name);
  if (!found) throw new InputError(`unknown loss_mode "${name}"; known: ${losses.map((loss) => loss.name).join(", ")}`);
  return found;
}
