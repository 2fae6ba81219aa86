/** The registry of advantage estimators under verl's `algorithm.adv_estimator` names. */
import { InputError } from "../core/errors.js";
import type { AdvantageEstimator } from "./advantage-types.js";
import { computeGaeAdvantage } from "./gae.js";
import {
  computeGpgAdvantage,
  computeGrpoAdvantage,
  computeGrpoPassAtKAdvantage,
  computeOpoAdvantage,
  computeReinforcePlusPlusBaselineAdvantage,
  computeRlooAdvantage,
} from "./outcome-advantages.js";
import { computeReinforcePlusPlusAdvantage, computeRemaxAdvantage } from "./return-advantages.js";

const estimators: readonly AdvantageEstimator[] = [
  {
    name: "gae",
    formula:
      "δ_t = r_t + γV̂ − V_t; Â⁺ = δ_t + γλÂ⁺ on model tokens, V̂ and Â⁺ carried across observations; A = whiten_m(Â⁺), G = Â⁺ + V",
    needs: ["values"],
    compute: computeGaeAdvantage,
  },
  {
    name: "grpo",
    formula: "A_i = (R_i − mean_g R)/(std_g R + ε) (no std when norm_adv_by_std_in_grpo=false)",
    needs: ["index"],
    compute: computeGrpoAdvantage,
  },
  {
    name: "dr_grpo",
    formula: "A_i = R_i − mean_g R (grpo with norm_adv_by_std_in_grpo=false; pair with seq-mean-token-sum-norm)",
    needs: ["index"],
    compute: (input, config) => computeGrpoAdvantage(input, { ...config, normAdvByStdInGrpo: false }),
  },
  {
    name: "rloo",
    formula: "A_i = n/(n−1)·(R_i − mean_g R)",
    needs: ["index"],
    compute: computeRlooAdvantage,
  },
  {
    name: "reinforce_plus_plus",
    formula: "G_t = r_t + γG_{t+1} (reset by the mask); A = whiten_m(G)·m",
    needs: [],
    compute: computeReinforcePlusPlusAdvantage,
  },
  {
    name: "reinforce_plus_plus_baseline",
    formula: "A = whiten_m((R_i − mean_g R)·m)·m",
    needs: ["index"],
    compute: computeReinforcePlusPlusBaselineAdvantage,
  },
  {
    name: "remax",
    formula: "A_t = Σ_{t'≥t} r_{t'}m_{t'} − b_i·m_t, b_i = greedy-rollout reward",
    needs: ["rewardBaselines"],
    compute: computeRemaxAdvantage,
  },
  {
    name: "gpg",
    formula: "A_i = α·(R_i − mean_g R), α = B / max(1, #{R_i ≠ 0})",
    needs: ["index"],
    compute: computeGpgAdvantage,
  },
  {
    name: "opo",
    formula: "A_i = R_i − Σ_j |o_j|R_j / Σ_j |o_j| (length-weighted group baseline)",
    needs: ["index"],
    compute: computeOpoAdvantage,
  },
  {
    name: "grpo_passk",
    formula: "A_best = (R_(1) − R_(2))/(std_g R + ε), 0 for the other members",
    needs: ["index"],
    compute: computeGrpoPassAtKAdvantage,
  },
];

/** Every registered estimator, in documentation order. */
export function listAdvantageEstimators(): readonly AdvantageEstimator[] {
  return estimators;
}

/** Look an estimator up by verl name; unknown names list the known ones. */
export function getAdvantageEstimator(name: string): AdvantageEstimator {
  const found = estimators.find((estimator) => estimator.name === name);
  if (!found) {
    throw new InputError(
      `unknown advantage estimator "${name}"; known: ${estimators.map((estimator) => estimator.name).join(", ")}`,
    );
  }
  return found;
}
