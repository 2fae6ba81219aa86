import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { InputError } from "../core/errors.js";
import { runComputeRequest } from "./compute-request.js";

const example = JSON.parse(readFileSync(new URL("../../examples/rl/grpo-batch.json", import.meta.url), "utf8"));

describe("rl compute request", () => {
  it("runs the bundled example: grpo + vanilla with k3 KL loss", () => {
    const result = runComputeRequest(example);
    const a = 0.5 / (Math.SQRT1_2 + 1e-6);
    expect(result.advantages[0]).toEqual([a, a, 0, 0, a].map((v) => expect.closeTo(v, 9)));
    expect(result.pg_loss).toBeDefined();
    // row 3: log ratio 0.3, ρ = e^0.3, A = −a: unclipped branch wins, d/dlogp = −Aρ / 10 valid tokens
    expect(result.grad_log_prob?.[3]?.[0]).toBeCloseTo((a * Math.exp(0.3)) / 10, 9);
    expect(result.kl_loss).toBeGreaterThan(0);
    expect(result.actor_loss).toBeCloseTo((result.pg_loss as number) + 0.001 * (result.kl_loss as number), 12);
    expect(result.grad_log_prob?.[0]?.[2]).toBe(0);
  });

  it("without log probs returns advantages only; log_prob alone is refused", () => {
    const { old_log_prob: _o, log_prob: _l, ref_log_prob: _r, ...rewardsOnly } = example;
    const result = runComputeRequest(rewardsOnly);
    expect(result.pg_loss).toBeUndefined();
    expect(result.advantages).toHaveLength(4);
    expect(() => runComputeRequest({ ...rewardsOnly, log_prob: example.log_prob })).toThrow(/without old_log_prob/);
  });

  it("gae with values, a critic loss, KL in reward with an adaptive controller", () => {
    const result = runComputeRequest({
      adv_estimator: "gae",
      config: { gamma: 0.9, lam: 0.8, use_kl_in_reward: true, kl_ctrl: { type: "adaptive", kl_coef: 0.1 } },
      token_level_rewards: [[0, 0, 0, 1]],
      response_mask: [[1, 0, 1, 1]],
      values: [[0.5, 9, 0.2, 0.4]],
      vpreds: [[0.6, 9, 0.3, 0.5]],
      old_log_prob: [[-1, 0, -1, -1]],
      ref_log_prob: [[-1.5, 0, -1, -0.5]],
    });
    // k1 KL = [0.5, 0, 0, −0.5] → rewards − 0.1·KL = [−0.05, 0, 0, 1.05]
    expect(result.token_level_rewards?.[0]).toEqual([-0.05, 0, 0, 1.05].map((v) => expect.closeTo(v, 12)));
    expect(result.kl_in_reward?.current_kl).toBeCloseTo(0, 6);
    expect(result.kl_in_reward?.next_kl_coef).toBeCloseTo(0.1 * (1 - (0.2 * 1) / 10000), 12);
    expect(result.vf_loss).toBeGreaterThan(0);
    expect(result.kl_loss).toBeUndefined();
  });

  it("overlong shaping adds the penalty before the estimator", () => {
    const result = runComputeRequest({
      adv_estimator: "reinforce_plus_plus",
      config: { overlong_buffer: { len: 2, max_response_length: 4 } },
      token_level_rewards: [
        [0, 0, 0, 1],
        [0, 1, 0, 0],
      ],
      response_mask: [
        [1, 1, 1, 1],
        [1, 1, 0, 0],
      ],
    });
    expect(result.overlong_penalty).toEqual([-1, 0]);
    expect(result.token_level_rewards?.[0]?.[3]).toBe(0);
  });

  it("explains bad input", () => {
    expect(() => runComputeRequest({ ...example, adv_estimator: "ppo" })).toThrow(
      /unknown advantage estimator "ppo"; known: gae, grpo, dr_grpo, rloo/,
    );
    expect(() => runComputeRequest({ ...example, loss_mode: "clip" })).toThrow(
      /unknown loss_mode "clip"; known: vanilla/,
    );
    expect(() => runComputeRequest({ ...example, response_mask: [[1, 1], [1]] })).toThrow(
      /response_mask is ragged: row 1 has 1 values but row 0 has 2/,
    );
    expect(() => runComputeRequest({ ...example, token_level_rewards: [[1, 0, 0, 0, 0]] })).toThrow(
      /token_level_rewards is 1×5 but response_mask is 4×5/,
    );
    expect(() => runComputeRequest({ ...example, index: ["a"] })).toThrow(/index has 1 entries but the batch has 4/);
    expect(() => runComputeRequest({ ...example, config: { clip_ratio: "0.2" } })).toThrow(InputError);
    expect(() => runComputeRequest({ ...example, config: { clip_ratio: "0.2" } })).toThrow(/config\.clip_ratio/);
    expect(() => runComputeRequest({ ...example, config: { clip_raito: 0.2 } })).toThrow(/clip_raito/);
    expect(() =>
      runComputeRequest({ ...example, response_mask: [[2, 1, 0, 0, 1], ...example.response_mask.slice(1)] }),
    ).toThrow(/must hold 0 or 1, found 2 at row 0, column 0/);
    expect(() => runComputeRequest({ response_mask: [[1]] })).toThrow(/give token_level_rewards/);
    expect(() => runComputeRequest({ ...example, config: { loss_agg_mode: "mean" } })).toThrow(/loss_agg_mode/);
  });
});
