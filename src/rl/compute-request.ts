/**
 * `drkit rl compute`: run any estimator and loss of the registries on a batch given as JSON with verl's
 * names (matrices as arrays of rows), and return advantages, returns, the loss, its metrics and the
 * per-token gradient. Pure: parsing and computing only, no I/O.
 */
import { z } from "zod";
import { InputError } from "../core/errors.js";
import { computeActorObjective } from "./actor-objective.js";
import { getAdvantageEstimator, listAdvantageEstimators } from "./advantage-registry.js";
import { AdaptiveKlController, applyKlPenalty, assertKlType, FixedKlController, KL_TYPES, type KlType } from "./kl.js";
import { LOSS_AGG_MODES } from "./loss-aggregation.js";
import { getPolicyLoss, listPolicyLosses } from "./policy-loss-registry.js";
import type { RolloutBatch } from "./rollout-batch.js";
import { applyOverlongShaping } from "./sampling-filters.js";
import type { BatchShape } from "./tensor.js";
import { computeValueLoss } from "./value-loss.js";

const matrix = z.array(z.array(z.number()), { error: "expected a matrix: an array of rows, each an array of numbers" });

export const ComputeConfigSchema = z
  .object({
    gamma: z.number().default(1),
    lam: z.number().default(1),
    norm_adv_by_std_in_grpo: z.boolean().default(true),
    epsilon: z.number().positive().default(1e-6),
    clip_ratio: z.number().min(0).default(0.2),
    clip_ratio_low: z.number().min(0).optional(),
    clip_ratio_high: z.number().min(0).optional(),
    clip_ratio_c: z.number().default(3),
    loss_agg_mode: z.enum(LOSS_AGG_MODES).default("token-mean"),
    loss_scale_factor: z.number().positive().optional(),
    global_token_count: z.number().positive().optional(),
    global_sequence_count: z.number().positive().optional(),
    dp_size: z.number().int().positive().default(1),
    use_kl_loss: z.boolean().optional(),
    kl_loss_type: z.enum(KL_TYPES).default("low_var_kl"),
    kl_loss_coef: z.number().optional(),
    kl_coef: z.number().optional(),
    entropy_coeff: z.number().default(0),
    use_kl_in_reward: z.boolean().default(false),
    kl_penalty: z.enum(KL_TYPES).default("kl"),
    kl_ctrl: z
      .object({
        type: z.enum(["fixed", "adaptive"]).default("fixed"),
        kl_coef: z.number().default(0.001),
        target_kl: z.number().positive().default(0.1),
        horizon: z.number().positive().default(10000),
      })
      .strict()
      .default({ type: "fixed", kl_coef: 0.001, target_kl: 0.1, horizon: 10000 }),
    cliprange_value: z.number().min(0).default(0.5),
    clip_cov_ratio: z.number().min(0).optional(),
    clip_cov_lb: z.number().optional(),
    clip_cov_ub: z.number().optional(),
    kl_cov_ratio: z.number().min(0).optional(),
    ppo_kl_coef: z.number().optional(),
    seed: z.number().int().optional(),
    overlong_buffer: z
      .object({
        enable: z.boolean().default(true),
        len: z.number().positive(),
        penalty_factor: z.number().default(1),
        max_response_length: z.number().positive(),
        form: z.enum(["verl", "paper"]).default("verl"),
      })
      .strict()
      .optional(),
  })
  .strict();
export type ComputeConfig = z.output<typeof ComputeConfigSchema>;

export const ComputeRequestSchema = z
  .object({
    adv_estimator: z.string().default("grpo"),
    loss_mode: z.string().default("vanilla"),
    config: ComputeConfigSchema.default(ComputeConfigSchema.parse({})),
    token_level_rewards: matrix.optional(),
    token_level_scores: matrix.optional(),
    response_mask: matrix,
    index: z.array(z.union([z.string(), z.number()])).optional(),
    values: matrix.optional(),
    vpreds: matrix.optional(),
    reward_baselines: z.array(z.number()).optional(),
    advantages: matrix.optional(),
    old_log_prob: matrix.optional(),
    log_prob: matrix.optional(),
    ref_log_prob: matrix.optional(),
    entropy: matrix.optional(),
    rollout_is_weights: matrix.optional(),
    /** Carried along by `drkit rl batch` for reference; not used by the computation. */
    prompt_ids: matrix.optional(),
    response_ids: matrix.optional(),
    trajectory_ids: z.array(z.string()).optional(),
  })
  .strict();
export type ComputeRequest = z.input<typeof ComputeRequestSchema>;

export interface ComputeResult {
  adv_estimator: string | null;
  loss_mode: string | null;
  shape: [number, number];
  advantages: number[][];
  returns: number[][] | null;
  /** Rewards after KL-in-reward and overlong shaping, when either was applied. */
  token_level_rewards?: number[][];
  kl_in_reward?: { current_kl: number; kl_coef: number; next_kl_coef: number };
  overlong_penalty?: number[];
  pg_loss?: number;
  pg_clipfrac?: number;
  ppo_kl?: number;
  pg_clipfrac_lower?: number;
  /** d pg_loss / d log_prob per token. */
  grad_log_prob?: number[][];
  kl_loss?: number;
  entropy_loss?: number;
  /** pg_loss − entropy_coeff·entropy_loss + kl_loss_coef·kl_loss. */
  actor_loss?: number;
  /** d actor_loss / d log_prob per token. */
  grad_log_prob_total?: number[][];
  /** d actor_loss / d entropy per token. */
  grad_entropy?: number[][];
  vf_loss?: number;
  vf_clipfrac?: number;
  grad_vpreds?: number[][];
}

function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "(root)"}: ${issue.message}`)
    .join("; ");
}

function flatten(
  name: string,
  rows: number[][],
  shape: BatchShape | undefined,
): { flat: Float64Array; shape: BatchShape } {
  const columns = rows[0]?.length ?? 0;
  rows.forEach((row, i) => {
    if (row.length !== columns) {
      throw new InputError(
        `${name} is ragged: row ${i} has ${row.length} values but row 0 has ${columns}; pad every row to the same length`,
      );
    }
  });
  if (shape && (shape.rows !== rows.length || shape.columns !== columns)) {
    throw new InputError(
      `${name} is ${rows.length}×${columns} but response_mask is ${shape.rows}×${shape.columns}; every matrix must have the mask's shape`,
    );
  }
  const flat = new Float64Array(rows.length * columns);
  rows.forEach((row, i) => {
    flat.set(row, i * columns);
  });
  return { flat, shape: { rows: rows.length, columns } };
}

function unflatten(values: ArrayLike<number>, shape: BatchShape): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < shape.rows; i++)
    out.push(Array.from({ length: shape.columns }, (_, t) => values[i * shape.columns + t] as number));
  return out;
}

/** Validate a request (throws InputError with every problem listed). */
export function parseComputeRequest(value: unknown): z.output<typeof ComputeRequestSchema> {
  const parsed = ComputeRequestSchema.safeParse(value);
  if (!parsed.success) throw new InputError(`invalid rl compute input: ${formatIssues(parsed.error)}`);
  const request = parsed.data;
  if (request.advantages === undefined) getAdvantageEstimator(request.adv_estimator);
  getPolicyLoss(request.loss_mode);
  return request;
}

export function runComputeRequest(value: unknown): ComputeResult {
  const request = parseComputeRequest(value);
  const { config } = request;
  const mask = flatten("response_mask", request.response_mask, undefined);
  const shape = mask.shape;
  mask.flat.forEach((m, k) => {
    if (m !== 0 && m !== 1) {
      throw new InputError(
        `response_mask must hold 0 or 1, found ${m} at row ${Math.floor(k / shape.columns)}, column ${k % shape.columns}`,
      );
    }
  });
  const optional = (name: string, rows: number[][] | undefined) => (rows ? flatten(name, rows, shape).flat : undefined);
  const oldLogProb = optional("old_log_prob", request.old_log_prob);
  const logProb = optional("log_prob", request.log_prob) ?? oldLogProb;
  const refLogProb = optional("ref_log_prob", request.ref_log_prob);
  const values = optional("values", request.values);
  const result: ComputeResult = {
    adv_estimator: request.advantages ? null : request.adv_estimator,
    loss_mode: null,
    shape: [shape.rows, shape.columns],
    advantages: [],
    returns: null,
  };

  let advantages: Float64Array;
  if (request.advantages) {
    advantages = flatten("advantages", request.advantages, shape).flat;
  } else {
    const rewardRows = request.token_level_rewards ?? request.token_level_scores;
    if (!rewardRows)
      throw new InputError("give token_level_rewards (or token_level_scores), or precomputed advantages");
    let rewards = flatten(
      request.token_level_rewards ? "token_level_rewards" : "token_level_scores",
      rewardRows,
      shape,
    ).flat;
    let shaped = false;
    if (config.overlong_buffer?.enable) {
      rewards = rewards.slice();
      const penalties = applyOverlongShaping(
        { ...shape, tokenLevelScores: rewards, responseMask: mask.flat },
        {
          maxResponseLength: config.overlong_buffer.max_response_length,
          bufferLength: config.overlong_buffer.len,
          penaltyFactor: config.overlong_buffer.penalty_factor,
          form: config.overlong_buffer.form,
        },
      );
      result.overlong_penalty = Array.from(penalties);
      shaped = true;
    }
    if (config.use_kl_in_reward) {
      if (!oldLogProb || !refLogProb) throw new InputError("use_kl_in_reward needs old_log_prob and ref_log_prob");
      const controller =
        config.kl_ctrl.type === "adaptive"
          ? new AdaptiveKlController(config.kl_ctrl.kl_coef, config.kl_ctrl.target_kl, config.kl_ctrl.horizon)
          : new FixedKlController(config.kl_ctrl.kl_coef);
      const coefficient = controller.value;
      const penalised = applyKlPenalty(
        { ...shape, tokenLevelScores: rewards, oldLogProb, refLogProb, responseMask: mask.flat },
        coefficient,
        config.kl_penalty as KlType,
      );
      controller.update(penalised.currentKl, shape.rows);
      rewards = penalised.tokenLevelRewards;
      result.kl_in_reward = { current_kl: penalised.currentKl, kl_coef: coefficient, next_kl_coef: controller.value };
      shaped = true;
    }
    if (shaped) result.token_level_rewards = unflatten(rewards, shape);
    const estimator = getAdvantageEstimator(request.adv_estimator);
    const output = estimator.compute(
      {
        ...shape,
        tokenLevelRewards: rewards,
        responseMask: mask.flat,
        index: request.index,
        values,
        rewardBaselines: request.reward_baselines,
      },
      {
        gamma: config.gamma,
        lam: config.lam,
        normAdvByStdInGrpo: config.norm_adv_by_std_in_grpo,
        epsilon: config.epsilon,
      },
    );
    advantages = output.advantages;
    result.returns = unflatten(output.returns, shape);
    if (request.vpreds) {
      if (!values) throw new InputError("vpreds (the critic's new values) need the old `values` for clipping");
      const valueLoss = computeValueLoss(
        {
          ...shape,
          valuePredictions: flatten("vpreds", request.vpreds, shape).flat,
          values,
          returns: output.returns,
          responseMask: mask.flat,
        },
        config.cliprange_value,
        { mode: config.loss_agg_mode },
      );
      result.vf_loss = valueLoss.loss;
      result.vf_clipfrac = valueLoss.vf_clipfrac;
      result.grad_vpreds = unflatten(valueLoss.gradValues, shape);
    }
  }
  result.advantages = unflatten(advantages, shape);

  if (oldLogProb && logProb) {
    assertKlType(config.kl_loss_type);
    const klLossCoef = config.kl_loss_coef ?? config.kl_coef ?? 0.001;
    const useKlLoss = config.use_kl_loss ?? (refLogProb !== undefined && !config.use_kl_in_reward);
    const entropy = optional("entropy", request.entropy);
    const actor = computeActorObjective(
      {
        ...shape,
        oldLogProb,
        logProb,
        advantages,
        responseMask: mask.flat,
        refLogProb,
        entropy,
        rolloutIsWeights: optional("rollout_is_weights", request.rollout_is_weights),
      },
      {
        lossMode: request.loss_mode,
        clipRatio: config.clip_ratio,
        clipRatioLow: config.clip_ratio_low,
        clipRatioHigh: config.clip_ratio_high,
        clipRatioC: config.clip_ratio_c,
        lossAggMode: config.loss_agg_mode,
        aggregation: {
          lossScaleFactor: config.loss_scale_factor,
          globalTokenCount: config.global_token_count,
          globalSequenceCount: config.global_sequence_count,
          dpSize: config.dp_size,
        },
        useKlLoss,
        klLossCoef,
        klLossType: config.kl_loss_type,
        entropyCoeff: config.entropy_coeff,
        clipCovRatio: config.clip_cov_ratio,
        clipCovLowerBound: config.clip_cov_lb,
        clipCovUpperBound: config.clip_cov_ub,
        klCovRatio: config.kl_cov_ratio,
        ppoKlCoef: config.ppo_kl_coef,
        seed: config.seed,
      },
    );
    result.loss_mode = request.loss_mode;
    result.pg_loss = actor.pgLoss;
    result.pg_clipfrac = actor.metrics.pg_clipfrac;
    result.ppo_kl = actor.metrics.ppo_kl;
    result.pg_clipfrac_lower = actor.metrics.pg_clipfrac_lower;
    result.grad_log_prob = unflatten(actor.pgGradLogProb, shape);
    if (actor.klLoss !== undefined) result.kl_loss = actor.klLoss;
    if (actor.entropyLoss !== undefined) result.entropy_loss = actor.entropyLoss;
    result.actor_loss = actor.loss;
    result.grad_log_prob_total = unflatten(actor.gradLogProb, shape);
    if (actor.gradEntropy) result.grad_entropy = unflatten(actor.gradEntropy, shape);
  } else if (request.log_prob && !request.old_log_prob) {
    throw new InputError("log_prob was given without old_log_prob; give both (or only old_log_prob for on-policy)");
  }
  return result;
}

/** The `rl compute` input for a batch built from token-space rollouts (verl names, rows unpadded to lists). */
export function batchToComputeRequest(
  batch: RolloutBatch,
  options: { advEstimator?: string; lossMode?: string; config?: Record<string, unknown> } = {},
): ComputeRequest {
  const shape = { rows: batch.rows, columns: batch.columns };
  const prompt = { rows: batch.rows, columns: batch.promptColumns };
  return {
    adv_estimator: options.advEstimator ?? "grpo",
    loss_mode: options.lossMode ?? "vanilla",
    config: (options.config ?? {}) as ComputeRequest["config"],
    token_level_rewards: unflatten(batch.tokenLevelScores, shape),
    response_mask: unflatten(batch.responseMask, shape),
    index: batch.index,
    old_log_prob: unflatten(batch.oldLogProb, shape),
    prompt_ids: unflatten(batch.promptIds, prompt),
    response_ids: unflatten(batch.responseIds, shape),
    trajectory_ids: batch.trajectoryIds,
  };
}

/** Names for `--help` and error messages. */
export function describeRegistries(): string {
  return `estimators: ${listAdvantageEstimators()
    .map((estimator) => estimator.name)
    .join(", ")}; loss modes: ${listPolicyLosses()
    .map((loss) => loss.name)
    .join(", ")}`;
}
