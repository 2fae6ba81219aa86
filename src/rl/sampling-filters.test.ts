import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { makeTrajectory } from "../../test/fixtures/rl-trajectories.js";
import { Random } from "../core/random.js";
import {
  applyOverlongShaping,
  DynamicSamplingBuffer,
  dropSolvedGroups,
  duplicateInformativeGroups,
  excludeTruncatedRollouts,
  filterZeroVarianceGroups,
  isTruncatedRollout,
  maskRows,
  overlongPenaltyPaper,
  overlongPenaltyVerl,
} from "./sampling-filters.js";

interface Item {
  uid: string;
  acc: number;
}
const accessors = { groupOf: (item: Item) => item.uid, metricOf: (item: Item) => item.acc };
const items = (spec: Record<string, number[]>): Item[] =>
  Object.entries(spec).flatMap(([uid, accs]) => accs.map((acc) => ({ uid, acc })));

describe("dynamic sampling", () => {
  it("drops groups with identical metric (all 0 or all 1) and keeps singletons like verl", () => {
    const result = filterZeroVarianceGroups(items({ a: [1, 1], b: [0, 1], c: [0, 0], d: [1] }), accessors);
    expect(result.keptGroups).toEqual(["b", "d"]);
    expect(result.droppedGroups).toEqual(["a", "c"]);
    expect(result.kept).toHaveLength(3);
  });

  it("accumulates generation batches until enough groups qualify, then truncates", () => {
    const buffer = new DynamicSamplingBuffer<Item>({ ...accessors, trainBatchSize: 3, maxNumGenBatches: 5 });
    expect(buffer.add(items({ a: [0, 1], b: [1, 1] }))).toBe(false);
    expect(buffer.readyGroups).toBe(1);
    expect(buffer.add(items({ c: [0, 0], d: [1, 0], e: [0, 1], f: [1, 0] }))).toBe(true);
    expect(buffer.numGenBatches).toBe(2);
    expect(buffer.droppedGroups).toBe(2);
    const taken = buffer.take();
    expect([...new Set(taken.map((item) => item.uid))]).toEqual(["a", "d", "e"]);
    expect(taken).toHaveLength(6);
    expect(buffer.numGenBatches).toBe(0);
  });

  it("raises after max_num_gen_batches rounds without enough groups", () => {
    const buffer = new DynamicSamplingBuffer<Item>({ ...accessors, trainBatchSize: 2, maxNumGenBatches: 2 });
    buffer.add(items({ a: [1, 1] }));
    expect(() => buffer.add(items({ b: [0, 0] }))).toThrow(/2 generation batches gave only 0 of 2 groups/);
  });
});

describe("DUPO", () => {
  it("duplicates informative groups of the same batch under new uids", () => {
    const batch = items({ a: [0, 1, 1], b: [1, 1, 1], c: [0, 0, 1] });
    const out = duplicateInformativeGroups(batch, { ...accessors, targetGroups: 4, random: new Random(3) });
    const groups = [...new Set(out.map((entry) => entry.group))];
    expect(groups).toHaveLength(4);
    expect(groups.slice(0, 2)).toEqual(["a", "c"]);
    expect(groups[2]).toMatch(/^(a|c)#dup1$/);
    const duplicates = out.filter((entry) => entry.duplicate);
    expect(duplicates).toHaveLength(6);
    expect(out.every((entry) => entry.item.uid !== "b")).toBe(true);
  });

  it("returns the kept groups unchanged when there are enough, and fails when nothing varies", () => {
    const batch = items({ a: [0, 1], b: [1, 0] });
    expect(duplicateInformativeGroups(batch, { ...accessors, targetGroups: 2, random: new Random(1) })).toHaveLength(4);
    expect(() =>
      duplicateInformativeGroups(items({ a: [1, 1] }), { ...accessors, targetGroups: 2, random: new Random(1) }),
    ).toThrow(/nothing to duplicate/);
  });

  it("drops prompts that every rollout already solves", () => {
    const result = dropSolvedGroups(items({ a: [1, 1], b: [1, 0] }), {
      groupOf: accessors.groupOf,
      isCorrect: (item) => item.acc === 1,
    });
    expect(result.droppedGroups).toEqual(["a"]);
    expect(result.keptGroups).toEqual(["b"]);
  });
});

describe("overlong shaping", () => {
  const options = { maxResponseLength: 20, bufferLength: 4 };
  it("paper form: 0, linear in the buffer, −1 beyond", () => {
    expect(overlongPenaltyPaper(16, options)).toBe(0);
    expect(overlongPenaltyPaper(18, options)).toBe(-0.5); // (16 − 18)/4
    expect(overlongPenaltyPaper(20, options)).toBe(-1);
    expect(overlongPenaltyPaper(21, options)).toBe(-1);
  });
  it("verl form: min(−exceed/L_c · factor, 0), unbounded below", () => {
    expect(overlongPenaltyVerl(10, options)).toBe(0);
    expect(overlongPenaltyVerl(19, { ...options, penaltyFactor: 2 })).toBe(-1.5); // −3/4·2
    expect(overlongPenaltyVerl(24, options)).toBe(-2);
    expect(() => overlongPenaltyVerl(1, { maxResponseLength: 4, bufferLength: 8 })).toThrow(/buffer length/);
  });
  it("adds the penalty at the last model token using model-token length only", () => {
    // row 0: 5 model tokens (observation tokens in between do not count) → exceed 5 − (6 − 2) = 1 → −0.5
    const batch = {
      rows: 2,
      columns: 7,
      tokenLevelScores: new Float64Array([0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0]),
      responseMask: [1, 1, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0],
    };
    const penalties = applyOverlongShaping(batch, { maxResponseLength: 6, bufferLength: 2 });
    expect(Array.from(penalties)).toEqual([-0.5, 0]);
    expect(batch.tokenLevelScores[6]).toBe(0.5);
    expect(batch.tokenLevelScores[8]).toBe(0);
  });
});

describe("truncated rollouts", () => {
  const answered = makeTrajectory({ id: "a", turns: [{ text: "x" }] });
  const cutNoAnswer = makeTrajectory({
    id: "b",
    turns: [{ text: "x" }],
    termination: "max turns reached",
    prediction: null,
  });
  const forcedAnswer = makeTrajectory({
    id: "c",
    turns: [{ text: "x" }],
    termination: "generate an answer as token limit reached",
    prediction: "y",
  });
  const lengthStop = makeTrajectory({ id: "d", turns: [{ text: "x", finishReason: "length" }], prediction: "z" });
  it("detects truncation from the termination or a length stop", () => {
    expect([answered, cutNoAnswer, forcedAnswer, lengthStop].map(isTruncatedRollout)).toEqual([
      false,
      true,
      true,
      true,
    ]);
  });
  it("no-answer mode (Tongyi) drops only truncated rollouts without an answer; all mode drops every truncated one", () => {
    const all = [answered, cutNoAnswer, forcedAnswer, lengthStop];
    expect(excludeTruncatedRollouts(all).excluded.map((t) => t.id)).toEqual(["b"]);
    expect(excludeTruncatedRollouts(all, "all").kept.map((t) => t.id)).toEqual(["a"]);
  });
  it("maskRows zeroes whole rows of the loss mask", () => {
    const batch = { rows: 2, columns: 2, responseMask: new Float64Array([1, 1, 1, 0]) };
    maskRows(batch, [0]);
    expect(Array.from(batch.responseMask)).toEqual([0, 0, 1, 0]);
  });
});

describe("properties", () => {
  const batches = fc.array(fc.record({ uid: fc.constantFrom("a", "b", "c", "d", "e"), acc: fc.constantFrom(0, 1) }), {
    minLength: 1,
    maxLength: 30,
  });
  it("dynamic sampling keeps exactly the groups with varying metric (and singletons)", () => {
    fc.assert(
      fc.property(batches, (batch) => {
        const { kept, keptGroups, droppedGroups } = filterZeroVarianceGroups(batch, accessors);
        expect(keptGroups.length + droppedGroups.length).toBe(new Set(batch.map((item) => item.uid)).size);
        for (const group of keptGroups) {
          const accs = batch.filter((item) => item.uid === group).map((item) => item.acc);
          expect(accs.length === 1 || new Set(accs).size > 1).toBe(true);
        }
        expect(kept.every((item) => keptGroups.includes(item.uid))).toBe(true);
      }),
    );
  });
  it("DUPO reaches the target group count with informative groups only", () => {
    fc.assert(
      fc.property(
        batches,
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 1000 }),
        (batch, target, seed) => {
          const informative = [...new Set(batch.map((item) => item.uid))].filter(
            (uid) => new Set(batch.filter((item) => item.uid === uid).map((item) => item.acc)).size > 1,
          );
          if (informative.length === 0) return;
          const out = duplicateInformativeGroups(batch, {
            ...accessors,
            targetGroups: target,
            random: new Random(seed),
          });
          const groups = new Set(out.map((entry) => entry.group));
          const keptOriginal = filterZeroVarianceGroups(batch, accessors).keptGroups.length;
          expect(groups.size).toBe(Math.max(target, keptOriginal));
          for (const entry of out.filter((e) => e.duplicate)) expect(informative).toContain(entry.item.uid);
        },
      ),
    );
  });
});
