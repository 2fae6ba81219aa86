import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DataError, DrkitError } from "../core/errors.js";
import { findBenchmark, isBundled, listBenchmarks } from "./benchmarks.js";
import { decryptBrowseComp, decryptXbench, encryptBrowseComp, encryptXbench } from "./decrypt.js";
import { loadBenchmark } from "./load.js";
import { readTable, writeTable } from "./tables.js";

const directory = mkdtempSync(join(tmpdir(), "drkit-data-"));

/** Bundled sets: name → [questions, distinct levels or undefined]. */
const EXPECTED: Record<string, number> = {
  hotpotqa: 400,
  musique: 100,
  "2wikimultihopqa": 2,
  bamboogle: 125,
  frames: 824,
  simpleqa: 4326,
  webwalkerqa: 680,
  strategyqa: 229,
  "flashrag-test": 3197,
  "flashrag-dev": 875,
  nq: 512,
  triviaqa: 512,
  popqa: 512,
  webdancer: 200,
  sailorfog: 20,
  webshaper: 500,
  "browsecomp-zh": 289,
  "xbench-deepsearch-2505": 100,
  "xbench-deepsearch-2510": 100,
};

describe("every bundled benchmark loads from data/", () => {
  it("covers every bundled registry entry", () => {
    const bundled = listBenchmarks()
      .filter(isBundled)
      .map((spec) => spec.name)
      .sort();
    expect(bundled).toEqual(Object.keys(EXPECTED).sort());
  });
  for (const [name, count] of Object.entries(EXPECTED)) {
    it(`${name}: ${count} valid questions with golds`, async () => {
      const loaded = await loadBenchmark(name);
      expect(loaded.questions.length).toBe(count);
      expect(loaded.questions.every((question) => question.question.trim().length > 0)).toBe(true);
      expect(loaded.questions.every((question) => question.goldAnswers.length > 0)).toBe(true);
      expect(new Set(loaded.questions.map((question) => question.id)).size).toBe(count);
    });
  }
  it("maps known fields (non-encrypted examples)", async () => {
    const hotpot = (await loadBenchmark("hotpotqa", { limit: 1 })).questions[0];
    expect(hotpot).toMatchObject({
      id: "5a8b57f25542995d1e6f1371",
      goldAnswers: ["yes"],
      level: "hard",
      source: "hotpotqa",
    });
    const musique = await loadBenchmark("musique");
    expect(musique.questions[0]?.goldAnswers).toEqual(["G. Stanley Hall", "Stanley Hall"]);
    const levels = new Map<string, number>();
    for (const question of musique.questions)
      levels.set(question.level ?? "", (levels.get(question.level ?? "") ?? 0) + 1);
    expect(Object.fromEntries(levels)).toEqual({ "2hop": 68, "3hop": 27, "4hop": 5 });
    const walker = await loadBenchmark("webwalkerqa", { filter: ["level=hard"] });
    expect(walker.questions.length).toBe(240);
    const flash = await loadBenchmark("flashrag-test", { filter: ["source=Bamboogle"] });
    expect(flash.questions.length).toBe(125);
    const popqa = (await loadBenchmark("popqa", { limit: 1 })).questions[0];
    expect(popqa?.goldAnswers).toEqual(["Bloomsburg", "The Only Town in Pennsylvania", "Eyersburg"]);
    const strategy = (await loadBenchmark("strategyqa", { limit: 1 })).questions[0];
    expect(strategy?.goldAnswers).toEqual(["no", "false"]);
    const simpleqa = (await loadBenchmark("simpleqa", { limit: 1 })).questions[0];
    expect(simpleqa?.metadata.answer_type).toBe("Person");
    expect((await loadBenchmark("webdancer", { filter: { level: "crawlqa" } })).questions.length).toBe(100);
    expect(findBenchmark("2wiki")?.name).toBe("2wikimultihopqa");
  });
  it("decrypts the encrypted sets in memory (checked by hash, never printed)", async () => {
    const pinned: Record<string, string> = {
      "browsecomp-zh": "5d45f2d0f224b2c3",
      "xbench-deepsearch-2505": "0b9e7c8610851da7",
      "xbench-deepsearch-2510": "9646d701156a19dd",
    };
    for (const [name, expected] of Object.entries(pinned)) {
      const { questions } = await loadBenchmark(name);
      const hash = createHash("sha256");
      for (const question of questions)
        hash.update(`${question.id}\u0000${question.question}\u0000${question.goldAnswers.join("\u0001")}\u0000`);
      const ok = hash.digest("hex").slice(0, 16) === expected;
      expect(ok, `${name} plaintext hash`).toBe(true);
      // No canary leaks into the question text; text is non-trivial.
      expect(questions.every((question) => !question.question.includes("BENCHMARK DATA"))).toBe(true);
      expect(questions.every((question) => question.question.length > 10)).toBe(true);
    }
  });
});

describe("decryption", () => {
  it("round-trips BrowseComp (SHA-256 key) and xbench (raw key) schemes", () => {
    const text = "问题: which year? ✓";
    expect(decryptBrowseComp(encryptBrowseComp(text, "pw"), "pw")).toBe(text);
    expect(decryptXbench(encryptXbench(text, "canary GUID"), "canary GUID")).toBe(text);
  });
  it("fails loudly on a wrong key", () => {
    const cipher = encryptBrowseComp("日本語のテキストです".repeat(4), "right");
    expect(() => decryptBrowseComp(cipher, "wrong")).toThrow(/wrong key/);
  });
});

describe("user files and errors", () => {
  it("reads DeepResearch-9K (field names with spaces)", async () => {
    const file = join(directory, "dr9k.jsonl");
    const rows = [
      {
        question: "Who directed the film?",
        difficulty: 3,
        "search trajectory": [
          { role: "user", content: "Who directed the film?" },
          { role: "assistant", content: '<think>x</think><tool_call>{"name":"search","arguments":{}}</tool_call>' },
        ],
        "final answer": "<answer>Jane Doe</answer>",
      },
      { question: "Q2?", difficulty: 1, "search trajectory": [], "final answer": "<answer> 42 </answer>" },
    ];
    writeFileSync(file, rows.map((row) => JSON.stringify(row)).join("\n"));
    const loaded = await loadBenchmark("deepresearch-9k", { file, filter: ["level=3"] });
    expect(loaded.questions).toHaveLength(1);
    expect(loaded.questions[0]).toMatchObject({ goldAnswers: ["Jane Doe"], level: "3", source: "deep_research_9k" });
    expect(loaded.questions[0]?.metadata.searchTrajectory).toHaveLength(2);
    writeFileSync(file, JSON.stringify({ ...rows[0], difficulty: 7 }));
    await expect(loadBenchmark("deepresearch-9k", { file })).rejects.toThrow(
      /dr9k\.jsonl:1: "difficulty" must be 1, 2 or 3/,
    );
  });
  it("reads GAIA and HLE user files (HLE image rows skipped)", async () => {
    const gaia = join(directory, "metadata.jsonl");
    writeFileSync(
      gaia,
      `${JSON.stringify({ task_id: "t1", Question: "q?", Level: 2, "Final answer": "a", file_name: "" })}\n`,
    );
    expect((await loadBenchmark("gaia", { file: gaia })).questions[0]).toMatchObject({ id: "t1", level: "2" });
    // The bundled GAIA-format sample: the attachment next to metadata.jsonl becomes an absolute filePath.
    const sample = join(process.cwd(), "test/fixtures/gaia/metadata.jsonl");
    const withFiles = await loadBenchmark("gaia", { file: sample });
    expect(withFiles.questions.map((question) => question.metadata.filePath)).toEqual([
      join(process.cwd(), "test/fixtures/gaia/museum.xlsx"),
      undefined,
    ]);
    writeFileSync(
      gaia,
      `${JSON.stringify({ task_id: "t2", Question: "q?", Level: 1, "Final answer": "a", file_name: "gone.pdf" })}\n`,
    );
    await expect(loadBenchmark("gaia", { file: gaia })).rejects.toThrow(
      /metadata\.jsonl:1: attachment "gone\.pdf" is not in .*: put the task files next to the metadata file/,
    );
    const hle = join(directory, "hle.json");
    writeFileSync(
      hle,
      JSON.stringify([
        { id: "h1", question: "text?", answer: "x", image: "", category: "Math" },
        { id: "h2", question: "image?", answer: "y", image: "data:image/png;base64,AAA", category: "Math" },
      ]),
    );
    const loaded = await loadBenchmark("hle", { file: hle });
    expect(loaded.questions.map((question) => question.id)).toEqual(["h1"]);
    await expect(loadBenchmark("gaia")).rejects.toThrow(/--file/);
  });
  it("reports a malformed row with file and row", async () => {
    const file = join(directory, "bad.jsonl");
    writeFileSync(file, '{"question": "ok?", "answer": "a"}\n{"question": "", "answer": "b"}\n');
    const error = await loadBenchmark(file).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).line).toBe(2);
    expect((error as DataError).message).toContain("bad.jsonl:2");
    writeFileSync(file, '{"question": "ok?", "answer": "a"}\n{not json\n');
    await expect(loadBenchmark(file)).rejects.toThrow(/bad\.jsonl:2: invalid JSON/);
    const dup = join(directory, "dup.json");
    writeFileSync(
      dup,
      JSON.stringify([
        { id: 1, question: "a", answer: "x" },
        { id: 1, question: "b", answer: "y" },
      ]),
    );
    await expect(loadBenchmark(dup)).rejects.toThrow(/dup\.json:2: duplicate question id "1"/);
    await expect(loadBenchmark("no-such-benchmark")).rejects.toSatisfy(DrkitError.isInstance);
  });
  it("limits, samples (seeded) and filters", async () => {
    const first = await loadBenchmark("bamboogle", { sample: 5, seed: 7 });
    const again = await loadBenchmark("bamboogle", { sample: 5, seed: 7 });
    const other = await loadBenchmark("bamboogle", { sample: 5, seed: 8 });
    expect(first.questions.map((question) => question.id)).toEqual(again.questions.map((question) => question.id));
    expect(first.questions.map((question) => question.id)).not.toEqual(other.questions.map((question) => question.id));
    expect((await loadBenchmark("bamboogle", { limit: 3 })).questions.map((question) => question.id)).toEqual([
      "bamboogle-1",
      "bamboogle-2",
      "bamboogle-3",
    ]);
    expect((await loadBenchmark("musique", { filter: ["level=3hop|4hop"] })).questions.length).toBe(32);
    await expect(loadBenchmark("bamboogle", { filter: ["nokey"] })).rejects.toThrow(/key=value/);
  });
});

describe("table readers and writers", () => {
  const rows = [
    { id: "a", question: "Q, with comma", answer: 'x "quoted"', score: 1.5, ok: true, tags: ["t1", "t2"] },
    { id: "b", question: "Q2\nline", answer: "y", score: 2, ok: false, tags: [] },
  ];
  for (const format of ["jsonl", "json", "csv", "parquet"] as const) {
    it(`round-trips ${format}`, async () => {
      const file = join(directory, `rows.${format}`);
      writeTable(file, rows);
      const back = (await readTable(file)).map((row) => row.value);
      expect(back.map((row) => row.question)).toEqual(["Q, with comma", "Q2\nline"]);
      expect(back.map((row) => row.answer)).toEqual(['x "quoted"', "y"]);
      const loaded = await loadBenchmark(file);
      expect(loaded.questions.map((question) => question.goldAnswers[0])).toEqual(['x "quoted"', "y"]);
      if (format === "parquet") expect(back.map((row) => row.score)).toEqual([1.5, 2]);
    });
  }
  it("reads the FlashRAG parquet with nested columns", async () => {
    const table = await readTable(join(process.cwd(), "data/flashrag_style/dev.parquet"));
    expect(table.length).toBe(875);
    const first = table[0]?.value as { prompt: { role: string }[]; reward_model: { ground_truth: string } };
    expect(first.prompt[0]?.role).toBe("user");
    expect(typeof first.reward_model.ground_truth).toBe("string");
    expect(readFileSync(join(directory, "rows.jsonl"), "utf8").split("\n").length).toBe(3);
  });
});
