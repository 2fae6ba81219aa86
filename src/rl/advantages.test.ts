import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InputError } from "../core/errors.js";
import { getAdvantageEstimator, listAdvantageEstimators } from "./advantage-registry.js";
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

function expectClose(actual: ArrayLike<number>, expected: number[], digits = 6): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((value, k) => {
    expect(actual[k]).toBeCloseTo(value, digits);
  });
}

/** Unbiased masked whitening written out independently of the implementation. */
function whiten(values: number[], mask: number[]): number[] {
  const picked = values.filter((_, k) => mask[k] === 1);
  const mean = picked.reduce((a, b) => a + b, 0) / picked.length;
  const variance = picked.reduce((a, b) => a + (b - mean) ** 2, 0) / (picked.length - 1);
  return values.map((value) => (value - mean) / Math.sqrt(variance + 1e-8));
}

// Rows: a0 scores 1 (3 tokens), a1 scores 0 (2 tokens), b0 scores 1 (2 tokens). Reward on the last model token.
const outcomeBatch = {
  rows: 3,
  columns: 3,
  tokenLevelRewards: [0, 0, 1, 0, 0, 0, 0, 1, 0],
  responseMask: [1, 1, 1, 1, 1, 0, 1, 1, 0],
  index: ["a", "a", "b"],
};

describe("group estimators", () => {
  it("grpo: (R − mean)/(std + ε) with unbiased std; a group of one gives R/(1+ε)", () => {
    // group a: R = [1, 0], mean 0.5, unbiased std √0.5 = 0.70710678 → ±0.5/0.70710778 = ±0.70710578
    const { advantages, returns } = computeGrpoAdvantage(outcomeBatch);
    const a = 0.5 / (Math.SQRT1_2 + 1e-6);
    const b = 1 / (1 + 1e-6);
    expectClose(advantages, [a, a, a, -a, -a, 0, b, b, 0]);
    expectClose(returns, [a, a, a, -a, -a, 0, b, b, 0]);
  });

  it("dr_grpo / norm_adv_by_std_in_grpo=false: R − mean, group of one keeps R", () => {
    const expected = [0.5, 0.5, 0.5, -0.5, -0.5, 0, 1, 1, 0];
    expectClose(computeGrpoAdvantage(outcomeBatch, { normAdvByStdInGrpo: false }).advantages, expected);
    expectClose(getAdvantageEstimator("dr_grpo").compute(outcomeBatch).advantages, expected);
  });

  it("rloo: R_i minus the mean of the others; group of one keeps R", () => {
    // R = [1, 0, 2] in one group: 1 − (0+2)/2 = 0, 0 − (1+2)/2 = −1.5, 2 − (1+0)/2 = 1.5
    const batch = { rows: 3, columns: 1, tokenLevelRewards: [1, 0, 2], responseMask: [1, 1, 1], index: [7, 7, 7] };
    expectClose(computeRlooAdvantage(batch).advantages, [0, -1.5, 1.5]);
    expectClose(computeRlooAdvantage(outcomeBatch).advantages, [1, 1, 1, -1, -1, 0, 1, 1, 0]);
  });

  it("opo: length-weighted baseline", () => {
    // group a: lengths [3, 2], R [1, 0] → b = (3·1 + 2·0)/5 = 0.6 → A = [0.4, −0.6]; group b alone → b = 0
    expectClose(computeOpoAdvantage(outcomeBatch).advantages, [0.4, 0.4, 0.4, -0.6, -0.6, 0, 1, 1, 0]);
  });

  it("gpg: α = B/#nonzero scores times (R − group mean)", () => {
    // scores [1, 0, 1] → α = 3/2; group a mean 0.5 → ±0.75; group b alone (mean 0) → 1.5
    expectClose(computeGpgAdvantage(outcomeBatch).advantages, [0.75, 0.75, 0.75, -0.75, -0.75, 0, 1.5, 1.5, 0]);
  });

  it("reinforce_plus_plus_baseline: whiten((R − mean)·m)·m over the batch", () => {
    // centred per row: [0.5, −0.5, 1] broadcast over 3, 2, 2 valid tokens
    const raw = [0.5, 0.5, 0.5, -0.5, -0.5, 0, 1, 1, 0];
    const expected = whiten(raw, outcomeBatch.responseMask).map((v, k) => v * (outcomeBatch.responseMask[k] as number));
    expectClose(computeReinforcePlusPlusBaselineAdvantage(outcomeBatch).advantages, expected);
  });

  it("grpo_passk: only the best member gets (R1 − R2)/(std + ε)", () => {
    // R = [0.2, 0.9, 0.5]: best 0.9, second 0.5 → 0.4; std = √(((−1/3)² + (11/30)² + (−1/30)²)/2) = 0.351188
    const batch = {
      rows: 3,
      columns: 1,
      tokenLevelRewards: [0.2, 0.9, 0.5],
      responseMask: [1, 1, 1],
      index: [1, 1, 1],
    };
    const std = Math.sqrt(((0.2 - 1.6 / 3) ** 2 + (0.9 - 1.6 / 3) ** 2 + (0.5 - 1.6 / 3) ** 2) / 2);
    expect(std).toBeCloseTo(0.351188, 6);
    expectClose(computeGrpoPassAtKAdvantage(batch).advantages, [0, 0.4 / (std + 1e-6), 0]);
    expectClose(computeGrpoPassAtKAdvantage(batch, { normAdvByStdInGrpo: false }).advantages, [0, 0.4, 0]);
    expect(() => computeGrpoPassAtKAdvantage(outcomeBatch)).toThrow(/at least 2 samples per group; group b has 1/);
  });

  it("group estimators say what is missing", () => {
    const { index: _, ...noIndex } = outcomeBatch;
    expect(() => computeGrpoAdvantage(noIndex)).toThrow(InputError);
    expect(() => computeGrpoAdvantage({ ...outcomeBatch, index: ["a"] })).toThrow(/index has 1 entries/);
  });
});

describe("token-level estimators", () => {
  it("gae carries values and advantages across observation tokens", () => {
    // mask [1, 0, 1, 1], rewards [0, 0, 0, 1], values [0.5, 9, 0.2, 0.4], γ = 0.9, λ = 0.8
    // t=3: δ = 1 − 0.4 = 0.6, A = 0.6
    // t=2: δ = 0.9·0.4 − 0.2 = 0.16, A = 0.16 + 0.72·0.6 = 0.592
    // t=1: observation → carried: A = 0.592 (its value 9 never enters)
    // t=0: δ = 0.9·0.2 − 0.5 = −0.32 (bootstraps from t=2), A = −0.32 + 0.72·0.592 = 0.10624
    const batch = {
      rows: 1,
      columns: 4,
      tokenLevelRewards: [0, 0, 0, 1],
      responseMask: [1, 0, 1, 1],
      values: [0.5, 9, 0.2, 0.4],
    };
    const { advantages, returns } = computeGaeAdvantage(batch, { gamma: 0.9, lam: 0.8 });
    const raw = [0.10624, 0.592, 0.592, 0.6];
    expectClose(returns, [0.60624, 9.592, 0.792, 1.0]);
    expectClose(advantages, whiten(raw, batch.responseMask));
    expect(() => computeGaeAdvantage({ ...batch, values: undefined })).toThrow(/needs critic `values`/);
  });

  it("gae with all-ones mask and γ=λ=1 gives returns = reward-to-go", () => {
    const batch = { rows: 1, columns: 3, tokenLevelRewards: [0, 0, 1], responseMask: [1, 1, 1], values: [0, 0, 0] };
    expectClose(computeGaeAdvantage(batch).returns, [1, 1, 1]);
  });

  it("reinforce_plus_plus: discounted returns reset by the mask, whitened", () => {
    // row 0: rewards [0, 0, 1], γ = 0.5 → G = [0.25, 0.5, 1]
    // row 1: rewards [0, 2, 0], mask [1, 1, 0] → G = [1, 2, 0]
    const batch = { rows: 2, columns: 3, tokenLevelRewards: [0, 0, 1, 0, 2, 0], responseMask: [1, 1, 1, 1, 1, 0] };
    const { advantages, returns } = computeReinforcePlusPlusAdvantage(batch, { gamma: 0.5 });
    expectClose(returns, [0.25, 0.5, 1, 1, 2, 0]);
    // masked mean 0.95, unbiased variance 1.8/4 = 0.45
    const scale = 1 / Math.sqrt(0.45 + 1e-8);
    expectClose(advantages, [-0.7 * scale, -0.45 * scale, 0.05 * scale, 0.05 * scale, 1.05 * scale, 0], 5);
  });

  it("remax: masked reward-to-go minus the greedy baseline on valid tokens", () => {
    const batch = {
      rows: 1,
      columns: 4,
      tokenLevelRewards: [0, 0.5, 0, 1],
      responseMask: [1, 1, 0, 1],
      rewardBaselines: [0.3],
    };
    const { advantages, returns } = computeRemaxAdvantage(batch);
    expectClose(returns, [1.5, 1.5, 1, 1]);
    expectClose(advantages, [1.2, 1.2, 1, 0.7]);
  });
});

describe("registry", () => {
  it("lists every estimator and rejects unknown names with the known list", () => {
    const names = listAdvantageEstimators().map((estimator) => estimator.name);
    expect(names).toEqual(
      expect.arrayContaining(["gae", "grpo", "rloo", "reinforce_plus_plus", "remax", "gpg", "opo", "grpo_passk"]),
    );
    expect(() => getAdvantageEstimator("ppo2")).toThrow(/unknown advantage estimator "ppo2"; known: gae, grpo/);
  });
});

describe("properties", () => {
  const groupBatch = fc
    .array(
      fc.record({
        group: fc.integer({ min: 0, max: 3 }),
        score: fc.integer({ min: 0, max: 4 }),
        length: fc.integer({ min: 1, max: 4 }),
      }),
      {
        minLength: 1,
        maxLength: 12,
      },
    )
    .map((rows) => {
      const columns = 4;
      const tokenLevelRewards = new Float64Array(rows.length * columns);
      const responseMask = new Float64Array(rows.length * columns);
      rows.forEach((row, i) => {
        for (let t = 0; t < row.length; t++) responseMask[i * columns + t] = 1;
        tokenLevelRewards[i * columns + row.length - 1] = row.score / 4;
      });
      return { rows: rows.length, columns, tokenLevelRewards, responseMask, index: rows.map((row) => row.group) };
    });

  it("outcome advantages are zero on masked tokens", () => {
    fc.assert(
      fc.property(groupBatch, (batch) => {
        const tokens = batch.responseMask.reduce((a, b) => a + b, 0);
        const names = ["grpo", "rloo", "opo", "gpg", "dr_grpo"];
        // whitening needs two valid tokens (verl raises otherwise)
        if (tokens >= 2) names.push("reinforce_plus_plus_baseline");
        for (const name of names) {
          const { advantages } = getAdvantageEstimator(name).compute(batch);
          batch.responseMask.forEach((m, k) => {
            if (m === 0) expect(Math.abs(advantages[k] as number)).toBe(0);
          });
        }
      }),
    );
  });

  it("all-equal rewards in a group give zero grpo and rloo advantage", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 8 }), fc.double({ min: -5, max: 5, noNaN: true }), (n, score) => {
        const batch = {
          rows: n,
          columns: 1,
          tokenLevelRewards: new Array(n).fill(score),
          responseMask: new Array(n).fill(1),
          index: new Array(n).fill("q"),
        };
        for (const advantage of computeGrpoAdvantage(batch).advantages) expect(Math.abs(advantage)).toBeLessThan(1e-9);
        for (const advantage of computeRlooAdvantage(batch).advantages) expect(Math.abs(advantage)).toBeLessThan(1e-9);
      }),
    );
  });

  it("groups of one: grpo gives R/(1+ε), rloo and opo-free baseline keep R", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: 1, maxLength: 6 }), (scores) => {
        const batch = {
          rows: scores.length,
          columns: 1,
          tokenLevelRewards: scores,
          responseMask: scores.map(() => 1),
          index: scores.map((_, i) => `uid-${i}`),
        };
        expectClose(
          computeGrpoAdvantage(batch).advantages,
          scores.map((s) => s / (1 + 1e-6)),
          9,
        );
        expectClose(computeRlooAdvantage(batch).advantages, scores, 9);
        expectClose(computeOpoAdvantage(batch).advantages, scores, 9);
      }),
    );
  });

  it("grpo advantages sum to zero within each group of two or more", () => {
    fc.assert(
      fc.property(groupBatch, (batch) => {
        const { advantages } = computeGrpoAdvantage(batch, { normAdvByStdInGrpo: false });
        const sums = new Map<number, number>();
        const sizes = new Map<number, number>();
        batch.index.forEach((group, i) => {
          sums.set(group, (sums.get(group) ?? 0) + (advantages[i * batch.columns] as number));
          sizes.set(group, (sizes.get(group) ?? 0) + 1);
        });
        for (const [group, sum] of sums) if ((sizes.get(group) ?? 0) > 1) expect(Math.abs(sum)).toBeLessThan(1e-9);
      }),
    );
  });
});
