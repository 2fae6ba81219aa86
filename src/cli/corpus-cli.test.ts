import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "./main.js";

let home: string;
beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), "drkit-corpus-cli-"));
});
afterAll(() => {
  rmSync(home, { recursive: true, force: true });
});

async function drkit(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main(["node", "drkit", "--home", home, ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = undefined;
  }
}

describe("drkit corpus", () => {
  it("build, search, stats and list", async () => {
    const built = await drkit(
      "corpus",
      "build",
      "hotpotqa",
      "--from",
      "data/hotpotqa/corpus.jsonl",
      "--quiet",
      "--json",
    );
    expect(built.code).toBe(0);
    expect(JSON.parse(built.stdout).counts.passages).toBe(3957);

    const search = await drkit("corpus", "search", "hotpotqa", "Scott Derrickson", "--topk", "2", "--json");
    expect(search.code).toBe(0);
    const hits = JSON.parse(search.stdout) as { passage: { id: string } }[];
    expect(hits).toHaveLength(2);
    expect(hits[0]?.passage.id).toBe("scott-derrickson-197f8b11");

    const text = await drkit("corpus", "search", "hotpotqa", "NEAR(", '"*', "--topk", "3");
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^(no results|1\. )/);

    const stats = await drkit("corpus", "stats", "hotpotqa", "--json");
    expect(JSON.parse(stats.stdout)).toMatchObject({ name: "hotpotqa", counts: { passages: 3957, titles: 3957 } });

    const list = await drkit("corpus", "list");
    expect(list.stdout).toMatch(/^hotpotqa\s+3957 passages/m);
  });

  it("errors: unknown corpus (exit 2, says how to build), bad format, malformed data with file:line", async () => {
    const missing = await drkit("corpus", "search", "nope", "x");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/corpus "nope" not found.*drkit corpus build nope/);
    const format = await drkit("corpus", "build", "x", "--from", "data/hotpotqa/corpus.jsonl", "--format", "csv");
    expect(format.code).toBe(2);
    expect(format.stderr).toMatch(/unknown --format "csv"/);
    const wrong = await drkit("corpus", "build", "x", "--from", "data/bamboogle/bamboogle_125.jsonl", "--quiet");
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/bamboogle_125\.jsonl:1: cannot detect the corpus format/);
  });
});
