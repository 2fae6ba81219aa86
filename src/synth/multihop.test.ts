import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parquetReadObjects } from "hyparquet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readJsonlRecords } from "../core/jsonl-store.js";
import { buildCorpus } from "../corpus/build.js";
import { openCorpus, type SqliteCorpus } from "../corpus/sqlite-corpus.js";
import { passageIdForTitle } from "../corpus/text.js";
import { normalizeAnswer } from "../reward/normalize.js";
import { extractChain } from "./chain.js";
import type { Dr9kRecord } from "./export.js";
import { synthesizeMultihop } from "./multihop.js";
import { RuleObfuscator } from "./obfuscate.js";
import { loadSourceQuestions } from "./sources.js";
import type { SynthRecord } from "./types.js";

const home = mkdtempSync(join(tmpdir(), "drkit-synth-"));
let hotpot: SqliteCorpus;

beforeAll(async () => {
  await buildCorpus({ name: "hotpotqa", from: ["data/hotpotqa/corpus.jsonl"], home, quiet: true });
  hotpot = openCorpus("hotpotqa", { home });
});

afterAll(() => hotpot?.close());

function questionLeaks(record: SynthRecord): boolean {
  const question = ` ${normalizeAnswer(record.question)} `;
  return [record.answer, ...record.aliases].some((answer) => question.includes(` ${normalizeAnswer(answer)} `));
}

describe("chain extraction on the bundled files", () => {
  it("finds topic → bridge → answer for a HotpotQA bridge question", () => {
    const source = loadSourceQuestions("data/hotpotqa/questions.jsonl")[1]!;
    const result = extractChain(source);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.chain.kind).toBe("bridge");
    expect(result.chain.hops.map((hop) => [hop.entity, hop.yields])).toEqual([
      ["Kiss and Tell", "Shirley Temple"],
      ["Shirley Temple", "Chief of Protocol"],
    ]);
    expect(result.chain.evidenceIds).toEqual([
      passageIdForTitle("Kiss and Tell (1945 film)"),
      passageIdForTitle("Shirley Temple"),
    ]);
    expect(result.chain.entities[0]?.mention).toBe("Kiss and Tell");
  });

  it("follows MuSiQue decompositions and 2Wiki evidence triples", () => {
    const musique = extractChain(loadSourceQuestions("data/musique/hipporag_musique_train100.json")[0]!);
    expect(musique.ok && musique.chain.hops.map((hop) => hop.yields)).toEqual([
      "American Psychological Association",
      "G. Stanley Hall",
    ]);
    const [compositional, comparison] = loadSourceQuestions("data/2wikimultihopqa/kag_2wiki_qa_sub2.json");
    const lothair = extractChain(compositional!);
    expect(lothair.ok && lothair.chain.hops.map((hop) => [hop.entity, hop.yields])).toEqual([
      ["Lothair II", "Ermengarde of Tours"],
      ["Ermengarde of Tours", "20 March 851"],
    ]);
    const films = extractChain(comparison!);
    expect(films.ok && films.chain.kind).toBe("comparison");
    expect(films.ok && films.chain.entities.find((entity) => entity.role === "answer")?.name).toBe("Phoolwari");
  });

  it("rejects a record in an unknown format with file:line", () => {
    expect(() => loadSourceQuestions("data/bamboogle/bamboogle_125.jsonl")).toThrow(
      /bamboogle_125\.jsonl:1: unrecognised multi-hop record/,
    );
  });
});

describe("synthesizeMultihop on HotpotQA (rule path, no model)", () => {
  const out = join(home, "runs", "hotpot.jsonl");

  it("produces verified L1–L3 records with provenance, exports and a report", async () => {
    const { report, files } = await synthesizeMultihop({
      from: "data/hotpotqa/questions.jsonl",
      corpus: hotpot,
      out,
      obfuscator: new RuleObfuscator(),
      limit: 30,
      quiet: true,
    });
    expect(report.sources).toBe(30);
    expect(report.chains).toBe(30);
    expect(report.levels.map((level) => level.level)).toEqual([1, 2, 3]);
    expect(report.levels[0]?.produced).toBe(30);
    const kept = readJsonlRecords<SynthRecord>(files.records);
    expect(kept.length).toBe(report.kept);
    expect(kept.length).toBeGreaterThan(15);
    for (const record of kept) {
      expect(questionLeaks(record)).toBe(false);
      expect(record.checks.leakage.passed).toBe(true);
      expect(record.checks.solvability.passed).toBe(true);
      expect(record.calibration.label).not.toBe("trivial");
      expect([1, 2, 3]).toContain(record.level);
      for (const id of record.evidence_ids) expect(hotpot.getPassage(id)).toBeDefined();
      for (const name of record.replacements.filter((r) => r.kind === "entity-description").map((r) => r.entity!))
        expect(normalizeAnswer(record.question).includes(normalizeAnswer(name))).toBe(false);
    }
    for (const level of report.levels) expect(level.kept_leaking).toBe(0);
    // Every produced item is in the stage file with its checks, kept or not.
    const checked = readJsonlRecords<SynthRecord>(join(files.work, "checked.jsonl"));
    expect(checked.filter((record) => !record.kept).every((record) => record.drop_reasons.length > 0)).toBe(true);
    // The Kiss and Tell question at L2 describes the film from its own passage, cut before the words that would
    // repeat the question ("… as Corliss Archer").
    const kiss = checked.find((record) => record.id === "5a8c7595554299585d9e36b6#L2");
    expect(kiss?.question).toBe(
      "What government position was held by the woman who portrayed Corliss Archer in the 1945 American comedy film?",
    );
    expect(kiss?.checks.readability).toEqual({ passed: true, method: "readability-rules", detail: { failed: [] } });
    expect(kiss?.replacements[0]?.passageId).toBe(passageIdForTitle("Kiss and Tell (1945 film)"));
    expect(kiss?.checks.uniqueness.passed).toBe(true);
    // DeepResearch-9K export: field names with spaces, Tongyi tool calls with real observations.
    const dr9k = readJsonlRecords<Dr9kRecord>(files.dr9k);
    expect(dr9k.length).toBe(kept.length);
    const first = dr9k[0]!;
    expect(Object.keys(first)).toEqual(["question", "difficulty", "search trajectory", "final answer"]);
    expect(first["final answer"]).toBe(`<answer>${kept[0]!.answer}</answer>`);
    expect(first["search trajectory"][1]?.content).toMatch(/<tool_call>\n\{"name":"search","arguments":\{"query":\[/);
    expect(first["search trajectory"][2]?.content).toMatch(/^<tool_response>\nA search for/);
    const table = await parquetReadObjects({ file: toArrayBuffer(readFileSync(files.dr9kParquet)) });
    expect(table.length).toBe(kept.length);
    expect(table[0]?.["final answer"]).toBe(first["final answer"]);
    expect(Number(table[0]?.difficulty)).toBe(first.difficulty);
    const ours = await parquetReadObjects({ file: toArrayBuffer(readFileSync(files.parquet)) });
    expect(ours.map((row) => row.id)).toEqual(kept.map((record) => record.id));
  });

  it("is idempotent when run again (resume with nothing left to do)", async () => {
    const before = readFileSync(out, "utf8");
    const { report } = await synthesizeMultihop({
      from: "data/hotpotqa/questions.jsonl",
      corpus: hotpot,
      out,
      obfuscator: new RuleObfuscator(),
      limit: 30,
      quiet: true,
    });
    expect(readFileSync(out, "utf8")).toBe(before);
    expect(report.kept).toBe(before.trim().split("\n").length);
  });
});

function toArrayBuffer(buffer: Buffer): ArrayBuffer {
  return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer;
}

describe("synthesizeMultihop on MuSiQue and 2Wiki corpora", () => {
  it("resolves evidence ids to the corpus ids (repeated MuSiQue titles) and keeps leak-free items", async () => {
    await buildCorpus({
      name: "musique",
      from: ["data/musique/hipporag_musique_train100_corpus.json"],
      home,
      quiet: true,
    });
    const corpus = openCorpus("musique", { home });
    try {
      const { report, files } = await synthesizeMultihop({
        from: "data/musique/hipporag_musique_train100.json",
        corpus,
        out: join(home, "runs", "musique.jsonl"),
        obfuscator: new RuleObfuscator(),
        limit: 12,
        quiet: true,
      });
      expect(report.chains).toBe(12);
      const checked = readJsonlRecords<SynthRecord>(join(files.work, "checked.jsonl"));
      expect(checked.length).toBeGreaterThan(12);
      const sources = loadSourceQuestions("data/musique/hipporag_musique_train100.json").slice(0, 12);
      for (const record of checked) {
        const source = sources.find((candidate) => candidate.id === record.source_id)!;
        const supporting = new Set(
          source.passages.filter((passage) => passage.supporting).map((passage) => passage.text),
        );
        for (const id of record.evidence_ids) expect(supporting.has(corpus.getPassage(id)!.text)).toBe(true);
      }
      for (const record of readJsonlRecords<SynthRecord>(files.records)) expect(questionLeaks(record)).toBe(false);
    } finally {
      corpus.close();
    }
  });

  it("obfuscates the 2Wiki topic entity from its own paragraph", async () => {
    await buildCorpus({
      name: "twowiki",
      from: ["data/2wikimultihopqa/hipporag_2wikimultihopqa_corpus.json"],
      home,
      quiet: true,
    });
    const corpus = openCorpus("twowiki", { home });
    try {
      const { files } = await synthesizeMultihop({
        from: "data/2wikimultihopqa/kag_2wiki_qa_sub2.json",
        corpus,
        out: join(home, "runs", "twowiki.jsonl"),
        obfuscator: new RuleObfuscator(),
        levels: [2],
        keepTrivial: true,
        quiet: true,
      });
      const checked = readJsonlRecords<SynthRecord>(join(files.work, "checked.jsonl"));
      const lothair = checked.find((record) => record.source_id === "83bf3b5a0bd911eba7f7acde48001122");
      expect(lothair?.question).not.toMatch(/Lothair/i);
      expect(lothair?.replacements[0]?.entity).toBe("Lothair II");
      expect(lothair?.checks.leakage.passed).toBe(true);
      expect(lothair?.checks.solvability.passed).toBe(true);
    } finally {
      corpus.close();
    }
  });
});
