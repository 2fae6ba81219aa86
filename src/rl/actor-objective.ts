/**
 * The full actor objective of verl `dp_actor.update_policy`:
 * L = L_pg − c_ent·agg(H, m) + β_KL·agg(KL_est(log πθ, log π_ref), m),
 * with the gradient with respect to log πθ per token, and with respect to each token's entropy H_t
 * (entropy depends on the whole next-token distribution, so a backend back-propagates Σ g^H_t·H_t itself).
 */
import { InputError } from "../core/errors.js";
import { computeKlLoss, type KlType } from "./kl.js";
import { aggregationRowWeights } from "./loss-aggregation.js";
import { getPolicyLoss } from "./policy-loss-registry.js";
import {
  DEFAULT_POLICY_LOSS_CONFIG,
  type PolicyLossConfig,
  type PolicyLossInput,
  type PolicyLossMetrics,
} from "./policy-loss-types.js";
import { assertShape, type NumberArray } from "./tensor.js";

export interface ActorObjectiveInput extends PolicyLossInput {
  /** log π_ref per token; required when the KL loss is on. */
  refLogProb?: NumberArray;
  /** Entropy of the full next-token distribution per token; required when entropyCoeff ≠ 0. */
  entropy?: NumberArray;
}

export interface ActorObjectiveConfig extends PolicyLossConfig {
  /** `actor.policy_loss.loss_mode`, default `vanilla`. */
  lossMode: string;
  /** `actor.use_kl_loss`: add β·agg(KL) (default false; on when a ref logprob and kl coef are given by the CLI). */
  useKlLoss: boolean;
  /** `actor.kl_loss_coef` β, default 0.001. */
  klLossCoef: number;
  /** `actor.kl_loss_type`, default `low_var_kl`. */
  klLossType: KlType;
  /** `actor.entropy_coeff`, default 0. */
  entropyCoeff: number;
}

export const DEFAULT_ACTOR_OBJECTIVE_CONFIG: ActorObjectiveConfig = {
  ...DEFAULT_POLICY_LOSS_CONFIG,
  lossMode: "vanilla",
  useKlLoss: false,
  klLossCoef: 0.001,
  klLossType: "low_var_kl",
  entropyCoeff: 0,
};

export interface ActorObjectiveOutput {
  /** L, the value a trainer minimises. */
  loss: number;
  pgLoss: number;
  /** agg(KL_est) before the coefficient, when the KL loss is on. */
  klLoss?: number;
  /** agg(H, m), when entropy was given. */
  entropyLoss?: number;
  metrics: PolicyLossMetrics;
  /** d L_pg / d log πθ. */
  pgGradLogProb: Float64Array;
  /** d L / d log πθ (policy + KL terms). */
  gradLogProb: Float64Array;
  /** d L / d H_t, when entropy was given. */
  gradEntropy?: Float64Array;
}

export function computeActorObjective(
  input: ActorObjectiveInput,
  config: Partial<ActorObjectiveConfig> = {},
): ActorObjectiveOutput {
  const resolved = { ...DEFAULT_ACTOR_OBJECTIVE_CONFIG, ...config };
  const policy = getPolicyLoss(resolved.lossMode).compute(input, resolved);
  const aggregation = { ...resolved.aggregation, mode: resolved.lossAggMode };
  let loss = policy.loss;
  const output: ActorObjectiveOutput = {
    loss,
    pgLoss: policy.loss,
    metrics: policy.metrics,
    pgGradLogProb: policy.gradLogProb,
    gradLogProb: policy.gradLogProb,
  };
  if (input.entropy) {
    assertShape("entropy", input.entropy, input);
    const rowWeights = aggregationRowWeights(input.responseMask, input, aggregation);
    const gradEntropy = new Float64Array(input.rows * input.columns);
    let entropyLoss = 0;
    for (let i = 0; i < input.rows; i++) {
      const base = i * input.columns;
      for (let t = 0; t < input.columns; t++) {
        const m = input.responseMask[base + t] as number;
        if (m === 0) continue;
        entropyLoss += (rowWeights[i] as number) * m * (input.entropy[base + t] as number);
        gradEntropy[base + t] = -resolved.entropyCoeff * (rowWeights[i] as number) * m;
      }
    }
    loss -= resolved.entropyCoeff * entropyLoss;
    output.entropyLoss = entropyLoss;
    output.gradEntropy = gradEntropy;
  } else if (resolved.entropyCoeff !== 0) {
    throw new InputError("entropy_coeff is non-zero but no per-token `entropy` was given");
  }
  if (resolved.useKlLoss) {
    if (!input.refLogProb) throw new InputError("the KL loss is on but no `ref_log_prob` was given");
    const kl = computeKlLoss(
      {
        rows: input.rows,
        columns: input.columns,
        logProb: input.logProb,
        refLogProb: input.refLogProb,
        responseMask: input.responseMask,
      },
      resolved.klLossType,
      aggregation,
      { base: policy.gradLogProb, scale: resolved.klLossCoef },
    );
    loss += resolved.klLossCoef * kl.value;
    output.gradLogProb = kl.gradLogProb;
    output.klLoss = kl.value;
  }
  output.loss = loss;
  return output;
}
