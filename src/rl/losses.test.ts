import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Random } from "../core/random.js";
import { computeActorObjective } from "./actor-objective.js";
import {
  AdaptiveKlController,
  applyKlPenalty,
  computeKlLoss,
  FixedKlController,
  type KlType,
  klPenalty,
  klToken,
} from "./kl.js";
import { aggregateLoss, LOSS_AGG_MODES, type LossAggMode } from "./loss-aggregation.js";
import { getPolicyLoss, listPolicyLosses } from "./policy-loss-registry.js";
import { computeCispoPolicyLoss, computeGspoPolicyLoss, computeVanillaPolicyLoss } from "./policy-losses.js";
import { computeValueLoss } from "./value-loss.js";

describe("loss aggregation", () => {
  // ℓ = [[1, 2, 3], [4, 5, 6]], m = [[1, 1, 0], [1, 0, 0]]
  const losses = [1, 2, 3, 4, 5, 6];
  const mask = [1, 1, 0, 1, 0, 0];
  const shape = { rows: 2, columns: 3 };
  it.each([
    ["token-mean", 7 / 3], // (1+2+4)/3
    ["seq-mean-token-sum", 3.5], // ((1+2) + 4)/2
    ["seq-mean-token-mean", 2.75], // (3/2 + 4/1)/2
    ["seq-mean-token-sum-norm", 7 / 3], // (3+4)/T, T = 3
  ] as const)("%s", (mode, expected) => {
    expect(aggregateLoss(losses, mask, shape, { mode }).value).toBeCloseTo(expected, 6);
  });
  it("honours global counts, dp size and the loss scale factor", () => {
    expect(
      aggregateLoss(losses, mask, shape, { mode: "token-mean", globalTokenCount: 14, dpSize: 2 }).value,
    ).toBeCloseTo(1, 9);
    expect(
      aggregateLoss(losses, mask, shape, { mode: "seq-mean-token-sum", globalSequenceCount: 7 }).value,
    ).toBeCloseTo(1, 9);
    expect(
      aggregateLoss(losses, mask, shape, { mode: "seq-mean-token-sum-norm", lossScaleFactor: 7 }).value,
    ).toBeCloseTo(1, 9);
  });
  it("rejects unknown modes with the list", () => {
    expect(() => aggregateLoss(losses, mask, shape, { mode: "mean" as LossAggMode })).toThrow(/known: token-mean/);
  });
  it("ignores NaN on masked positions", () => {
    expect(aggregateLoss([1, Number.NaN], [1, 0], { rows: 1, columns: 2 }, { mode: "token-mean" }).value).toBe(1);
  });
});

describe("vanilla PPO loss (hand-computed)", () => {
  it("clip, tie and masked tokens", () => {
    // token 0: ρ = e^0.5 = 1.6487, A = 1 → ℓ = max(−1.6487, −1.2) = −1.2 (clipped, zero gradient)
    // token 1: ρ = e^−0.2 = 0.8187 ∈ [0.8, 1.2], A = −1 → ℓ = 0.8187, dℓ/dlogp = −Aρ = 0.8187
    // token 2: masked. token-mean over 2 tokens.
    const out = computeVanillaPolicyLoss({
      rows: 1,
      columns: 3,
      oldLogProb: [-1, -1, 0],
      logProb: [-0.5, -1.2, -7],
      advantages: [1, -1, 5],
      responseMask: [1, 1, 0],
    });
    const rho = Math.exp(-0.2);
    expect(out.loss).toBeCloseTo((-1.2 + rho) / 2, 9);
    expect(Array.from(out.gradLogProb)).toEqual([0, expect.closeTo(rho / 2, 9), 0]);
    expect(out.metrics.pg_clipfrac).toBeCloseTo(0.5, 6);
    expect(out.metrics.pg_clipfrac_lower).toBe(0);
    expect(out.metrics.ppo_kl).toBeCloseTo(-(0.5 - 0.2) / 2, 6);
  });

  it("dual clip caps a negative-advantage token at −cA", () => {
    // ρ = e² = 7.389, A = −1: ℓ1 = 7.389, ℓ2 = 1.2, ℓc = 7.389 > 3 → ℓ = 3, gradient 0
    const out = computeVanillaPolicyLoss({
      rows: 1,
      columns: 1,
      oldLogProb: [-3],
      logProb: [-1],
      advantages: [-1],
      responseMask: [1],
    });
    expect(out.loss).toBeCloseTo(3, 9);
    expect(out.gradLogProb[0]).toBe(0);
    expect(out.metrics.pg_clipfrac_lower).toBeCloseTo(1, 6);
  });

  it("clip-higher: ε_high 0.28 lets a positive-advantage ratio of 1.25 through", () => {
    const base = {
      rows: 1,
      columns: 1,
      oldLogProb: [0],
      logProb: [Math.log(1.25)],
      advantages: [2],
      responseMask: [1],
    };
    const symmetric = computeVanillaPolicyLoss(base);
    expect(symmetric.loss).toBeCloseTo(-2 * 1.2, 9);
    expect(symmetric.gradLogProb[0]).toBe(0);
    const decoupled = computeVanillaPolicyLoss(base, { clipRatioLow: 0.2, clipRatioHigh: 0.28 });
    expect(decoupled.loss).toBeCloseTo(-2 * 1.25, 9);
    expect(decoupled.gradLogProb[0]).toBeCloseTo(-2 * 1.25, 9);
  });

  it("below the low clip a positive advantage keeps the unclipped gradient", () => {
    // ρ = 0.5, A = 1: ℓ1 = −0.5 > ℓ2 = −0.8 → unclipped, dℓ/dlogp = −ρ = −0.5
    const out = computeVanillaPolicyLoss({
      rows: 1,
      columns: 1,
      oldLogProb: [0],
      logProb: [Math.log(0.5)],
      advantages: [1],
      responseMask: [1],
    });
    expect(out.loss).toBeCloseTo(-0.5, 9);
    expect(out.gradLogProb[0]).toBeCloseTo(-0.5, 9);
    expect(out.metrics.pg_clipfrac).toBe(0);
  });
});

describe("other policy losses (hand-computed)", () => {
  it("gspo uses one ratio per sequence and seq-mean-token-mean", () => {
    // row: log-ratios [0.1, −0.3] → log s = −0.1, s = 0.904837; A = 1 → in range, ℓ = −s per token
    const out = computeGspoPolicyLoss({
      rows: 1,
      columns: 2,
      oldLogProb: [-1, -1],
      logProb: [-0.9, -1.3],
      advantages: [1, 1],
      responseMask: [1, 1],
    });
    const s = Math.exp(-0.1);
    // seq-mean-token-mean divides by (|o| + 1e-8), hence 7 digits
    expect(out.loss).toBeCloseTo(-s, 7);
    expect(Array.from(out.gradLogProb)).toEqual([expect.closeTo(-s / 2, 7), expect.closeTo(-s / 2, 7)]);
  });
  it("cispo: −sg(clip(ρ))·A·log π", () => {
    // ρ = e^0.5 → clipped to 1.2; A = 1; log π = −0.5: ℓ = −1.2·(−0.5) = 0.6, gradient −1.2
    const out = computeCispoPolicyLoss({
      rows: 1,
      columns: 1,
      oldLogProb: [-1],
      logProb: [-0.5],
      advantages: [1],
      responseMask: [1],
    });
    expect(out.loss).toBeCloseTo(0.6, 9);
    expect(out.gradLogProb[0]).toBeCloseTo(-1.2, 9);
    expect(out.metrics.pg_clipfrac).toBeCloseTo(1, 6);
  });
  it("gpg: −A·log π", () => {
    const out = getPolicyLoss("gpg").compute({
      rows: 1,
      columns: 2,
      oldLogProb: [0, 0],
      logProb: [-2, -4],
      advantages: [0.5, 0.5],
      responseMask: [1, 1],
    });
    expect(out.loss).toBeCloseTo((1 + 2) / 2, 9);
    expect(Array.from(out.gradLogProb)).toEqual([-0.25, -0.25]);
  });
  it("kl_cov: |log ρ| penalty on the highest-covariance tokens, no clip", () => {
    // A = [1, 0, −1], log π = [−1, −2, −3] → cov = (A − 0)(log π + 2) = [1, 0, 1]; log ρ = [0.1, 0, −0.2]
    const input = {
      rows: 1,
      columns: 3,
      logProb: [-1, -2, -3],
      oldLogProb: [-1.1, -2, -2.8],
      advantages: [1, 0, -1],
      responseMask: [1, 1, 1],
    };
    const e1 = Math.exp(0.1);
    const e2 = Math.exp(-0.2);
    // default ratio → max(1, ⌊3·0.0002⌋) = 1 token: the first of the tied top covariances (token 0)
    const one = getPolicyLoss("kl_cov").compute(input);
    expect(one.loss).toBeCloseTo((-e1 + 0.1 + e2) / 3, 9);
    expect(Array.from(one.gradLogProb)).toEqual([(-e1 + 1) / 3, 0, e2 / 3].map((v) => expect.closeTo(v, 9)));
    // ratio 0.7 → ⌊2.1⌋ = 2 tokens: 0 and 2
    const two = getPolicyLoss("kl_cov").compute(input, { klCovRatio: 0.7 });
    expect(two.loss).toBeCloseTo((-e1 + 0.1 + e2 + 0.2) / 3, 9);
    expect(two.gradLogProb[2]).toBeCloseTo((e2 - 1) / 3, 9);
    expect(two.metrics.ppo_kl).toBeCloseTo(0.3 / 3, 9);
  });
  it("clip_cov: detaches a random candidate with covariance in (lb, ub)", () => {
    // A = [3, −3], log π = [−1, −3], ρ = 1: cov = [3, 3] (both candidates); one of two tokens is detached
    const input = {
      rows: 1,
      columns: 2,
      logProb: [-1, -3],
      oldLogProb: [-1, -3],
      advantages: [3, -3],
      responseMask: [1, 1],
    };
    const out = getPolicyLoss("clip_cov").compute(input);
    expect(out.metrics.pg_clipfrac).toBeCloseTo(0.5, 6);
    const detached = out.gradLogProb[0] === 0 ? 0 : 1;
    expect(out.gradLogProb[1 - detached]).toBeCloseTo(detached === 0 ? 1.5 : -1.5, 12);
    expect(out.loss).toBeCloseTo(detached === 0 ? 1.5 : -1.5, 12);
    expect(getPolicyLoss("clip_cov").compute(input, { clipCovRatio: 1 }).loss).toBe(0);
    // outside the window nothing is detached
    expect(getPolicyLoss("clip_cov").compute(input, { clipCovUpperBound: 2 }).metrics.pg_clipfrac).toBe(0);
  });
  it("unknown loss modes list the known ones", () => {
    expect(() => getPolicyLoss("ppo")).toThrow(/unknown loss_mode "ppo"; known: vanilla, gspo/);
  });
});

describe("KL", () => {
  it("estimators at log π = −1, log π_ref = −1.5", () => {
    // ℓ = 0.5; k3: x = −0.5 → e^−0.5 + 0.5 − 1 = 0.106531, gradient 1 − e^−0.5 = 0.393469
    expect(klToken(-1, -1.5, "k1")).toEqual({ value: 0.5, grad: 1 });
    expect(klToken(-1, -1.5, "abs")).toEqual({ value: 0.5, grad: 1 });
    expect(klToken(-1.5, -1, "abs")).toEqual({ value: 0.5, grad: -1 });
    expect(klToken(-1, -1.5, "k2")).toEqual({ value: 0.125, grad: 0.5 });
    const k3 = klToken(-1, -1.5, "low_var_kl");
    expect(k3.value).toBeCloseTo(0.106531, 6);
    expect(k3.grad).toBeCloseTo(0.393469, 6);
    expect(klToken(-1, -1.5, "k3+")).toEqual({ value: k3.value, grad: 0.5 });
    expect(klToken(-1, -1.5, "k1+")).toEqual({ value: 0.5, grad: 0.5 });
  });
  it("k3 clamps to 10 with zero gradient", () => {
    expect(klToken(-20, 0, "k3")).toEqual({ value: 10, grad: 0 });
  });
  it("rejects full and unknown types", () => {
    expect(() => klPenalty([0], [0], "full" as KlType)).toThrow(/not implemented/);
    expect(() =>
      computeKlLoss({ rows: 1, columns: 1, logProb: [0], refLogProb: [0], responseMask: [1] }, "x" as KlType, {
        mode: "token-mean",
      }),
    ).toThrow(/known: kl, k1/);
  });
  it("KL in reward subtracts β·KL on valid tokens and reports the mean sequence KL", () => {
    // k1 on old − ref = [0.5, −0.5, 9(masked)], β = 0.1
    const out = applyKlPenalty(
      {
        rows: 1,
        columns: 3,
        tokenLevelScores: [0, 1, 0],
        oldLogProb: [-1, -1, -1],
        refLogProb: [-1.5, -0.5, -10],
        responseMask: [1, 1, 0],
      },
      0.1,
    );
    expect(Array.from(out.tokenLevelRewards)).toEqual([expect.closeTo(-0.05, 12), expect.closeTo(1.05, 12), 0]);
    expect(out.currentKl).toBeCloseTo(0, 9);
  });
  it("fixed and adaptive controllers", () => {
    const fixed = new FixedKlController(0.001);
    fixed.update();
    expect(fixed.value).toBe(0.001);
    const adaptive = new AdaptiveKlController(0.1, 0.1, 10000);
    adaptive.update(0.3, 100); // error clipped to 0.2 → β·(1 + 0.2·100/10000)
    expect(adaptive.value).toBeCloseTo(0.1 * 1.002, 12);
    adaptive.update(0.09, 1000); // error −0.1 → ×(1 − 0.01)
    expect(adaptive.value).toBeCloseTo(0.1 * 1.002 * 0.99, 12);
  });
});

describe("value loss", () => {
  it("clips the prediction around the old value", () => {
    // V_new 1.0, V_old 0.2, G 0.9, ε 0.5: V_clip 0.7 → max(0.01, 0.04) = 0.04 → ½·0.04; gradient 0 (clamp saturated)
    const out = computeValueLoss({
      rows: 1,
      columns: 1,
      valuePredictions: [1.0],
      values: [0.2],
      returns: [0.9],
      responseMask: [1],
    });
    expect(out.loss).toBeCloseTo(0.02, 12);
    expect(out.gradValues[0]).toBe(0);
    expect(out.vf_clipfrac).toBeCloseTo(1, 6);
    // inside the range: ½(V − G)², gradient V − G
    const inside = computeValueLoss({
      rows: 1,
      columns: 1,
      valuePredictions: [0.4],
      values: [0.2],
      returns: [1],
      responseMask: [1],
    });
    expect(inside.loss).toBeCloseTo(0.18, 12);
    expect(inside.gradValues[0]).toBeCloseTo(-0.6, 12);
  });
});

function randomBatch(seed: number, rows: number, columns: number) {
  const random = new Random(seed);
  const size = rows * columns;
  const oldLogProb = new Float64Array(size);
  const logProb = new Float64Array(size);
  const refLogProb = new Float64Array(size);
  const advantages = new Float64Array(size);
  const responseMask = new Float64Array(size);
  const entropy = new Float64Array(size);
  for (let k = 0; k < size; k++) {
    oldLogProb[k] = -0.2 - 2 * random.next();
    logProb[k] = (oldLogProb[k] as number) + 0.4 * random.normal();
    refLogProb[k] = (oldLogProb[k] as number) + 0.3 * random.normal();
    advantages[k] = random.normal();
    responseMask[k] = random.next() < 0.75 ? 1 : 0;
    entropy[k] = random.next() * 3;
  }
  return { rows, columns, oldLogProb, logProb, refLogProb, advantages, responseMask, entropy };
}

describe("finite-difference gradient checks", () => {
  const klTypes: KlType[] = ["k1", "abs", "k2", "low_var_kl"];
  for (const loss of listPolicyLosses()) {
    for (const mode of LOSS_AGG_MODES) {
      it(`${loss.name} / ${mode}`, () => {
        const batch = randomBatch(17, 3, 5);
        if (loss.name === "gspo") {
          // GSPO's token ratio stops the gradient through the sequence term; it equals the true derivative
          // when the advantage is constant along a sequence (outcome estimators), so use row-constant A.
          for (let k = 0; k < batch.advantages.length; k++) {
            batch.advantages[k] = batch.advantages[Math.floor(k / batch.columns) * batch.columns] as number;
          }
        }
        for (const klType of klTypes) {
          const config = {
            lossMode: loss.name,
            lossAggMode: mode,
            clipRatioLow: 0.2,
            clipRatioHigh: 0.28,
            useKlLoss: true,
            klLossType: klType,
            klLossCoef: 0.1,
            entropyCoeff: 0.01,
          };
          const analytic = computeActorObjective(batch, config);
          const step = 1e-6;
          // cispo stops the gradient through its ratio: moving log π_old with log π keeps ρ fixed, which
          // differentiates exactly the surrogate. The other losses differentiate their forward value.
          const moveOld = loss.name === "cispo";
          for (let k = 0; k < batch.logProb.length; k++) {
            const shifted = (delta: number) => {
              const logProb = batch.logProb.slice();
              const oldLogProb = batch.oldLogProb.slice();
              logProb[k] = (logProb[k] as number) + delta;
              if (moveOld) oldLogProb[k] = (oldLogProb[k] as number) + delta;
              return computeActorObjective({ ...batch, logProb, oldLogProb }, config).loss;
            };
            const numeric = (shifted(step) - shifted(-step)) / (2 * step);
            expect(analytic.gradLogProb[k]).toBeCloseTo(numeric, 5);
            if (batch.responseMask[k] === 0) expect(analytic.gradLogProb[k]).toBe(0);
          }
          // entropy gradient: L is linear in H
          for (let k = 0; k < batch.entropy.length; k++) {
            const up = batch.entropy.slice();
            up[k] = (up[k] as number) + 1;
            const numeric = computeActorObjective({ ...batch, entropy: up }, config).loss - analytic.loss;
            expect(analytic.gradEntropy?.[k]).toBeCloseTo(numeric, 9);
          }
        }
      });
    }
  }

  it("value loss gradient", () => {
    const batch = randomBatch(5, 3, 4);
    const input = {
      rows: 3,
      columns: 4,
      valuePredictions: batch.logProb,
      values: batch.oldLogProb,
      returns: batch.refLogProb,
      responseMask: batch.responseMask,
    };
    const analytic = computeValueLoss(input, 0.2);
    for (let k = 0; k < input.valuePredictions.length; k++) {
      const up = input.valuePredictions.slice();
      const down = input.valuePredictions.slice();
      up[k] = (up[k] as number) + 1e-6;
      down[k] = (down[k] as number) - 1e-6;
      const numeric =
        (computeValueLoss({ ...input, valuePredictions: up }, 0.2).loss -
          computeValueLoss({ ...input, valuePredictions: down }, 0.2).loss) /
        2e-6;
      expect(analytic.gradValues[k]).toBeCloseTo(numeric, 5);
    }
  });
});

describe("properties", () => {
  it("masked tokens get zero gradient and do not change the loss", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.constantFrom(...listPolicyLosses().map((loss) => loss.name)),
        fc.constantFrom(...LOSS_AGG_MODES),
        fc.double({ min: -50, max: 50, noNaN: true }),
        (seed, lossMode, lossAggMode, garbage) => {
          const batch = randomBatch(seed, 2, 4);
          const config = { lossMode, lossAggMode, useKlLoss: true, entropyCoeff: 0.01 };
          const before = computeActorObjective(batch, config);
          const logProb = batch.logProb.slice();
          const advantages = batch.advantages.slice();
          batch.responseMask.forEach((m, k) => {
            if (m === 0) {
              logProb[k] = garbage;
              advantages[k] = -garbage;
              expect(before.gradLogProb[k]).toBe(0);
              expect(before.gradEntropy?.[k]).toBe(0);
            }
          });
          const after = computeActorObjective({ ...batch, logProb, advantages }, config);
          expect(after.loss).toBeCloseTo(before.loss, 12);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("on-policy (ρ = 1) vanilla gradient is −A·w per token", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), (seed) => {
        const batch = randomBatch(seed, 2, 3);
        const out = computeVanillaPolicyLoss({ ...batch, logProb: batch.oldLogProb });
        const tokens = batch.responseMask.reduce((a, b) => a + b, 0);
        batch.responseMask.forEach((m, k) => {
          const expected = m === 0 ? 0 : -(batch.advantages[k] as number) / tokens;
          expect(out.gradLogProb[k]).toBeCloseTo(expected, 12);
        });
      }),
      { numRuns: 50 },
    );
  });
});
