import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { coverExactMatch, exactMatch, f1Single, normalizeAnswer, stringMetrics, tokenF1 } from "./normalize.js";

describe("normalizeAnswer (SQuAD / HotpotQA normalize_answer)", () => {
  it("lower-cases, drops ASCII punctuation, articles and extra spaces in that order", () => {
    expect(normalizeAnswer("The Cat's  hat!")).toBe("cats hat");
    expect(normalizeAnswer("  An apple, a day ")).toBe("apple day");
    // punctuation removed before articles: "the-end" -> "theend" keeps "the" inside a word
    expect(normalizeAnswer("the-end")).toBe("theend");
    expect(normalizeAnswer("a.b")).toBe("ab");
  });
  it("keeps Unicode punctuation and accents, like Python's string.punctuation", () => {
    expect(normalizeAnswer("Ünited  the—State")).toBe("ünited —state");
    expect(normalizeAnswer("Café «Olé»")).toBe("café «olé»");
  });
  it("uses Python's Unicode word boundaries around articles", () => {
    // In Python, é is a word character, so "éthe" has no boundary before "the".
    expect(normalizeAnswer("éthe")).toBe("éthe");
    expect(normalizeAnswer("a1 the")).toBe("a1");
    expect(normalizeAnswer("thé")).toBe("thé");
  });
  it("splits on Python whitespace (\\x1c-\\x1f, \\x85, NBSP), not on \\ufeff", () => {
    expect(normalizeAnswer("x\u00a0y\x1fz\x85w")).toBe("x y z w");
    expect(normalizeAnswer("x\ufeffy")).toBe("x\ufeffy");
  });
  it("is idempotent", () => {
    fc.assert(fc.property(fc.string(), (text) => normalizeAnswer(normalizeAnswer(text)) === normalizeAnswer(text)));
  });
});

describe("exact match and cover EM", () => {
  it("matches any alias after normalisation", () => {
    expect(exactMatch("The Eiffel Tower.", "eiffel tower")).toBe(1);
    expect(exactMatch("Eiffel", ["Tour Eiffel", "eiffel"])).toBe(1);
    expect(exactMatch("Eiffel Tower in Paris", ["eiffel tower"])).toBe(0);
  });
  it("cover EM is a raw substring test on normalised text", () => {
    expect(coverExactMatch("It is the Eiffel Tower, in Paris", "Eiffel Tower")).toBe(1);
    expect(coverExactMatch("start", "art")).toBe(1);
    expect(coverExactMatch("paris", "Eiffel")).toBe(0);
  });
  it("EM implies cover EM for non-empty golds", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (prediction, gold) => {
        if (normalizeAnswer(gold) === "") return true;
        return exactMatch(prediction, gold) <= coverExactMatch(prediction, gold);
      }),
    );
  });
});

describe("token F1", () => {
  it("hand-computed: 'the big red dog' vs 'a red dog' = P 2/3, R 1, F1 0.8", () => {
    const result = f1Single("the big red dog", "a red dog");
    expect(result.precision).toBeCloseTo(2 / 3, 12);
    expect(result.recall).toBe(1);
    expect(result.f1).toBeCloseTo(0.8, 12);
  });
  it("counts repeated tokens as a multiset", () => {
    // pred: red red red (3), gold: red dog red (3) -> common 2: P 2/3 R 2/3 F1 2/3
    expect(f1Single("red red red", "red dog red").f1).toBeCloseTo(2 / 3, 12);
  });
  it("HotpotQA special-cases yes/no/noanswer; SQuAD does not", () => {
    expect(f1Single("yes", "yes it is").f1).toBe(0);
    expect(f1Single("yes it is", "yes").f1).toBe(0);
    expect(f1Single("no", "No.").f1).toBe(1);
    expect(f1Single("yes", "yes it is", "squad").f1).toBeCloseTo(0.5, 12);
  });
  it("takes max of F1, precision and recall separately over golds", () => {
    const result = tokenF1("paris france", ["Paris", "France, Paris city"]);
    // gold 1: P .5 R 1 F1 2/3; gold 2: P 1 R 2/3 F1 .8
    expect(result.f1).toBeCloseTo(0.8, 12);
    expect(result.precision).toBe(1);
    expect(result.recall).toBe(1);
  });
  it("gives 0 for no overlap and for an empty prediction", () => {
    expect(tokenF1("london", "paris").f1).toBe(0);
    expect(tokenF1("", "paris").f1).toBe(0);
  });
  it("stringMetrics scores a null prediction 0", () => {
    expect(stringMetrics(null, ["x"], ["em", "f1", "cover_em"])).toEqual({ em: 0, f1: 0, cover_em: 0 });
    expect(stringMetrics("X", ["x"], ["em", "squad_f1"])).toEqual({ em: 1, squad_f1: 1 });
  });
  it("stays in [0, 1]", () => {
    fc.assert(
      fc.property(fc.string(), fc.array(fc.string(), { minLength: 1, maxLength: 3 }), (prediction, golds) => {
        const { f1, precision, recall } = tokenF1(prediction, golds);
        return [f1, precision, recall].every((value) => value >= 0 && value <= 1);
      }),
    );
  });
});
