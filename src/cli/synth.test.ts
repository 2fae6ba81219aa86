import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { readJsonlRecords } from "../core/jsonl-store.js";
import { buildCorpus } from "../corpus/build.js";
import type { E2hRecord } from "../synth/e2h.js";
import { main } from "./main.js";
import { parseLevels } from "./synth.js";

const home = mkdtempSync(join(tmpdir(), "drkit-cli-synth-"));

beforeAll(async () => {
  await buildCorpus({ name: "hotpotqa", from: ["data/hotpotqa/corpus.jsonl"], home, quiet: true });
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    out.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    err.push(String(chunk));
    return true;
  });
  return { out, err };
}

describe("drkit synth (in process)", () => {
  it("parses --levels and rejects bad values", () => {
    expect(parseLevels("3,1,1")).toEqual([1, 3]);
    expect(() => parseLevels("1,4")).toThrow(/--levels/);
  });

  it("runs multihop on a slice and prints the per-level table", async () => {
    const io = capture();
    const out = join(home, "runs", "mh.jsonl");
    const code = await main([
      "node",
      "drkit",
      "--home",
      home,
      "synth",
      "multihop",
      "--from",
      "data/hotpotqa/questions.jsonl",
      "--corpus",
      "hotpotqa",
      "--out",
      out,
      "--limit",
      "5",
      "--quiet",
    ]);
    expect(code, io.err.join("")).toBe(0);
    const text = io.out.join("");
    expect(text).toContain("| L1 | 5 of 5 |");
    expect(text).toMatch(/wrote .*mh\.jsonl \(\d+ kept\)/);
  });

  it("refuses to reuse stage files made with other inputs, naming each difference", async () => {
    const out = join(home, "runs", "rerun.jsonl");
    const args = (...extra: string[]) => [
      "node",
      "drkit",
      "--home",
      home,
      "synth",
      "multihop",
      "--corpus",
      "hotpotqa",
      "--out",
      out,
      "--limit",
      "2",
      "--quiet",
      ...extra,
    ];
    capture();
    expect(await main(args("--from", "data/hotpotqa/questions.jsonl"))).toBe(0);
    // The same inputs with more levels' worth of limit resume; other inputs are refused before anything is written.
    expect(await main(args("--from", "data/hotpotqa/questions.jsonl", "--limit", "3"))).toBe(0);
    const io = capture();
    const code = await main(args("--from", "data/musique/hipporag_musique_train100.json", "--topk", "8"));
    expect(code).toBe(2);
    const message = io.err.join("");
    expect(message).toContain("rerun.jsonl.work holds the stage files of a run with other settings");
    expect(message).toMatch(/from: run has ".*hotpotqa\/questions\.jsonl", now ".*hipporag_musique_train100\.json"/);
    expect(message).toContain("topk: run has 5, now 8");
    expect(readJsonlRecords<{ sourceId: string }>(join(`${out}.work`, "chains.jsonl"))).toHaveLength(3);
    // A resumed run's progress counts to the total, not past it.
    const progress = capture();
    expect(
      await main(args("--from", "data/hotpotqa/questions.jsonl", "--limit", "5").filter((arg) => arg !== "--quiet")),
    ).toBe(0);
    expect(progress.err.join("").trim().split("\n").at(-1)).toMatch(/^synth multihop 5\/5 /);
  });

  it("says when nothing was kept and hints at the corpus when no chain was found", async () => {
    const io = capture();
    const out = join(home, "runs", "wrong-corpus.jsonl");
    const from = "data/musique/hipporag_musique_train100.json";
    const code = await main(
      ["node", "drkit", "--home", home, "synth", "multihop", "--from", from, "--corpus", "hotpotqa"].concat([
        "--out",
        out,
        "--limit",
        "3",
        "--quiet",
      ]),
    );
    expect(code, io.err.join("")).toBe(0);
    const text = io.out.join("");
    expect(text).toContain("chains: 0");
    expect(text).toContain("the corpus does not hold this dataset's evidence paragraphs");
    expect(text).toContain(`no item was kept, so ${out} was not written`);
    expect(text).not.toContain(`wrote ${out}`);
  });

  it("rejects an unknown obfuscator with exit code 2 and a message", async () => {
    const io = capture();
    const code = await main([
      "node",
      "drkit",
      "--home",
      home,
      "synth",
      "multihop",
      "--from",
      "data/hotpotqa/questions.jsonl",
      "--corpus",
      "hotpotqa",
      "--out",
      join(home, "x.jsonl"),
      "--obfuscator",
      "magic",
    ]);
    expect(code).toBe(2);
    expect(io.err.join("")).toContain("--obfuscator must be rule or llm");
  });

  it("asks for a model when the LLM obfuscator has none configured", async () => {
    for (const name of ["OPENAI_BASE_URL", "DRKIT_BASE_URL", "OPENAI_MODEL", "DRKIT_MODEL", "DRKIT_CONFIG"])
      vi.stubEnv(name, "");
    const io = capture();
    const code = await main([
      "node",
      "drkit",
      "--home",
      home,
      "synth",
      "multihop",
      "--from",
      "data/hotpotqa/questions.jsonl",
      "--corpus",
      "hotpotqa",
      "--out",
      join(home, "y.jsonl"),
      "--obfuscator",
      "llm",
    ]);
    expect(code).toBe(2);
    expect(io.err.join("")).toMatch(/no model is configured/);
  });

  it("runs e2h with the rule rewriter on SimpleQA seeds", async () => {
    const io = capture();
    const out = join(home, "runs", "e2h.jsonl");
    const code = await main([
      "node",
      "drkit",
      "--home",
      home,
      "synth",
      "e2h",
      "--from",
      "simpleqa",
      "--corpus",
      "hotpotqa",
      "--limit",
      "4",
      "--rounds",
      "2",
      "--out",
      out,
      "--quiet",
    ]);
    expect(code, io.err.join("")).toBe(0);
    const records = readJsonlRecords<E2hRecord>(out);
    expect(records.filter((record) => record.round === 0).map((record) => record.seed_id)).toEqual([
      "simpleqa-1",
      "simpleqa-2",
      "simpleqa-3",
      "simpleqa-4",
    ]);
    expect(io.out.join("")).toMatch(/seeds 4; questions per round: R0: 4/);
  });

  it("collects the offline KILT page graph for crawl without a model", async () => {
    const io = capture();
    const out = join(home, "runs", "crawl.jsonl");
    const code = await main([
      "node",
      "drkit",
      "--home",
      home,
      "synth",
      "crawl",
      "--pages",
      "data/wiki_sample/kilt_sample_100.jsonl",
      "--max-pages",
      "200",
      "--collect-only",
      "--out",
      out,
    ]);
    expect(code, io.err.join("")).toBe(0);
    expect(readJsonlRecords(join(home, "runs", "crawl.pages.jsonl")).length).toBe(99);
    expect(io.out.join("")).toContain("collected 99 pages");
  });
});
