/** Rewrites tried in order: the obfuscator's variants and the pipeline that keeps the first one every check passes. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { quietHarborChain } from "../../test/fixtures/synth-chain.js";
import { readJsonlRecords } from "../core/jsonl-store.js";
import { buildCorpus } from "../corpus/build.js";
import { openCorpus, type SqliteCorpus } from "../corpus/sqlite-corpus.js";
import { synthesizeMultihop } from "./multihop.js";
import { itemId, type Obfuscator, RuleObfuscator } from "./obfuscate.js";
import { formatReport } from "./report.js";
import { choiceVectors } from "./rewrite-variants.js";
import type { Chain, Level, ObfuscatedItem, SynthRecord } from "./types.js";

describe("choiceVectors", () => {
  it("strays from the best options one step at a time, first targets first", () => {
    expect([...choiceVectors(2, 2)]).toEqual([
      [1, 0],
      [0, 1],
      [2, 0],
      [1, 1],
      [0, 2],
      [2, 1],
      [1, 2],
      [2, 2],
    ]);
    expect([...choiceVectors(0, 2)]).toEqual([]);
  });
});

const twoSentenceChain = quietHarborChain(
  "Who produced The Quiet Harbor?",
  "The Quiet Harbor is a 1987 Welsh drama film. It was shot on the island of Anglesey.",
);

describe("RuleObfuscator variants", () => {
  it("returns the preferred rewrite first and the next description as an alternative", async () => {
    const result = await new RuleObfuscator().obfuscate(twoSentenceChain, 2, { variants: 4 });
    expect(result.ok && result.item.question).toBe("Who produced the 1987 Welsh drama film?");
    // The second sentence is a verb clause: the entity's kind from its defining description, then the clause.
    expect(result.ok && result.alternatives?.map((item) => item.question)).toEqual([
      "Who produced the drama film shot on the island of Anglesey?",
    ]);
    expect(result.ok && result.alternatives?.[0]?.id).toBe(itemId("s1", 2));
  });

  it("returns one rewrite unless asked for more", async () => {
    const result = await new RuleObfuscator().obfuscate(twoSentenceChain, 2);
    expect(result.ok && result.alternatives).toBeUndefined();
  });
});

/** Scripted rewrites per level, to drive the pipeline's choice between them. */
class ScriptedObfuscator implements Obfuscator {
  readonly name = "scripted";
  constructor(private readonly questions: Partial<Record<Level, string[]>>) {}
  async obfuscate(chain: Chain, level: Level) {
    const texts = level === 1 ? [chain.question] : (this.questions[level] ?? []);
    const items: ObfuscatedItem[] = texts.map((question) => ({
      id: itemId(chain.sourceId, level),
      sourceId: chain.sourceId,
      level,
      question,
      answer: chain.answer,
      obfuscator: this.name,
      replacements: [],
      hiddenNames: ["Kiss and Tell"],
    }));
    const [item, ...alternatives] = items;
    if (!item) return { ok: false as const, reason: "scripted: none" };
    return { ok: true as const, item, ...(alternatives.length > 0 ? { alternatives } : {}) };
  }
}

describe("the pipeline keeps the first rewrite every check passes", () => {
  const home = mkdtempSync(join(tmpdir(), "drkit-variants-"));
  let corpus: SqliteCorpus;
  beforeAll(async () => {
    await buildCorpus({ name: "hotpotqa", from: ["data/hotpotqa/corpus.jsonl"], home, quiet: true });
    corpus = openCorpus("hotpotqa", { home });
  });
  afterAll(() => corpus?.close());

  it("drops a leaking rewrite and a repeat of a lower level, and records why", async () => {
    const good = "What government position was held by the woman who portrayed Corliss Archer in the 1945 comedy film?";
    const obfuscator = new ScriptedObfuscator({
      // L2: the first rewrite names a hidden entity; the second is kept.
      2: ["What government position was held by the star of Kiss and Tell?", good],
      // L3: the first repeats the kept L2 question; the second is kept.
      3: [
        good,
        "What government position was held by the actress who portrayed Corliss Archer in a mid-1940s comedy film?",
      ],
    });
    const out = join(home, "runs", "scripted.jsonl");
    const { report, files } = await synthesizeMultihop({
      from: "data/hotpotqa/questions.jsonl",
      corpus,
      out,
      obfuscator,
      limit: 2,
      levels: [2, 3],
      keepTrivial: true,
      quiet: true,
    });
    const checked = readJsonlRecords<SynthRecord>(join(files.work, "checked.jsonl"));
    const level2 = checked.find((record) => record.id === "5a8c7595554299585d9e36b6#L2");
    expect(level2?.variant).toBe(1);
    expect(level2?.question).toBe(good);
    expect(level2?.other_variants).toEqual([
      { question: "What government position was held by the star of Kiss and Tell?", drop_reasons: ["leakage"] },
    ]);
    const level3 = checked.find((record) => record.id === "5a8c7595554299585d9e36b6#L3");
    expect(level3?.kept).toBe(true);
    expect(level3?.variant).toBe(1);
    expect(level3?.other_variants).toEqual([{ question: good, drop_reasons: ["repeats a lower level"] }]);
    expect(report.levels[0]?.kept_by_variant["1"]).toBeGreaterThanOrEqual(1);
    expect(formatReport(report)).toMatch(/L2: .*kept from a later rewrite ×\d/);
    // The variants are part of the run's settings: a rerun with another count is refused, naming it.
    await expect(
      synthesizeMultihop({
        from: "data/hotpotqa/questions.jsonl",
        corpus,
        out,
        obfuscator,
        limit: 2,
        variants: 2,
        quiet: true,
        keepTrivial: true,
      }),
    ).rejects.toThrow(/variants/);
  });
});
