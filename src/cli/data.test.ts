import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadBenchmark } from "../data/load.js";
import { main } from "./main.js";

const directory = mkdtempSync(join(tmpdir(), "drkit-data-cli-"));

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main(["node", "drkit", ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

afterEach(() => {
  process.exitCode = undefined;
});

describe("drkit data", () => {
  it("lists the registry as JSON", async () => {
    const { code, stdout } = await run(["data", "list", "--json"]);
    expect(code).toBe(0);
    const rows = JSON.parse(stdout) as { name: string; bundled: boolean }[];
    expect(rows.find((row) => row.name === "hotpotqa")?.bundled).toBe(true);
    expect(rows.find((row) => row.name === "gaia")?.bundled).toBe(false);
  });
  it("shows filtered questions as JSON lines", async () => {
    const { stdout } = await run(["data", "show", "webwalkerqa", "--filter", "level=easy", "--limit", "2"]);
    const lines = stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { level: string });
    expect(lines.map((line) => line.level)).toEqual(["easy", "easy"]);
  });
  it("refuses to print or write an encrypted benchmark unless asked", async () => {
    const shown = await run(["data", "show", "browsecomp-zh", "--limit", "1"]);
    expect(shown.code).toBe(2);
    expect(shown.stdout).toBe("");
    expect(shown.stderr).toMatch(/--reveal/);
    const converted = await run(["data", "convert", "xbench", "--out", join(directory, "x.jsonl")]);
    expect(converted.code).toBe(2);
    expect(converted.stderr).toMatch(/does not write its plaintext/);
    const counted = await run(["data", "show", "browsecomp-zh", "--count"]);
    expect(JSON.parse(counted.stdout).questions).toBe(289);
  });
  it("converts a benchmark to parquet that loads back identically", async () => {
    const out = join(directory, "bamboogle.parquet");
    const { code } = await run(["data", "convert", "bamboogle", "--limit", "10", "--out", out]);
    expect(code).toBe(0);
    const back = await loadBenchmark(out);
    const original = await loadBenchmark("bamboogle", { limit: 10 });
    expect(back.questions.map((question) => [question.id, question.question, question.goldAnswers])).toEqual(
      original.questions.map((question) => [question.id, question.question, question.goldAnswers]),
    );
    const musique = join(directory, "musique.parquet");
    await run(["data", "convert", "musique", "--limit", "2", "--out", musique]);
    const musiqueBack = await loadBenchmark(musique);
    const musiqueOriginal = await loadBenchmark("musique", { limit: 2 });
    expect(musiqueBack.questions.map((question) => [question.level, question.metadata])).toEqual(
      musiqueOriginal.questions.map((question) => [question.level, question.metadata]),
    );
    const jsonl = join(directory, "nested", "bamboogle.jsonl");
    await run(["data", "convert", "bamboogle", "--limit", "3", "--out", jsonl]);
    expect(readFileSync(jsonl, "utf8").trim().split("\n")).toHaveLength(3);
  });
});
