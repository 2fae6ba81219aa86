import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { main } from "./main.js";

function capture(): { out: () => string; err: () => string } {
  let out = "";
  let err = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    err += String(chunk);
    return true;
  });
  return { out: () => out, err: () => err };
}

describe("drkit rl compute", () => {
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });

  it("prints JSON for the bundled example", async () => {
    const io = capture();
    const code = await main(["node", "drkit", "rl", "compute", "--input", "examples/rl/grpo-batch.json", "--json"]);
    expect(code).toBe(0);
    const result = JSON.parse(io.out());
    expect(Object.keys(result)).toEqual(
      expect.arrayContaining([
        "advantages",
        "returns",
        "pg_loss",
        "pg_clipfrac",
        "ppo_kl",
        "pg_clipfrac_lower",
        "grad_log_prob",
      ]),
    );
    expect(result.grad_log_prob).toHaveLength(4);
  });

  it("prints a readable summary and fails clearly on bad input", async () => {
    const io = capture();
    expect(await main(["node", "drkit", "rl", "compute", "--input", "examples/rl/grpo-batch.json"])).toBe(0);
    expect(io.out()).toMatch(/batch 4×5 {2}estimator grpo {2}loss vanilla/);
    const dir = mkdtempSync(join(tmpdir(), "drkit-rl-"));
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ adv_estimator: "nope", token_level_rewards: [[1]], response_mask: [[1]] }));
    expect(await main(["node", "drkit", "rl", "compute", "--input", bad])).toBe(2);
    expect(io.err()).toMatch(/unknown advantage estimator "nope"; known: gae/);
    writeFileSync(bad, "{");
    expect(await main(["node", "drkit", "rl", "compute", "--input", bad])).toBe(2);
    expect(io.err()).toMatch(/is not valid JSON/);
    expect(await main(["node", "drkit", "rl", "compute", "--input", join(dir, "missing.json")])).toBe(2);
  });

  it("rl batch turns token-space trajectories into rl compute input", async () => {
    const dir = mkdtempSync(join(tmpdir(), "drkit-rl-"));
    const out = join(dir, "batch.json");
    const io = capture();
    expect(
      await main(["node", "drkit", "rl", "batch", "--in", "examples/collect/trajectories.jsonl", "--out", out]),
    ).toBe(0);
    expect(io.out()).toMatch(/wrote a 3×13 batch \(2 groups of 1–2, 14 model tokens, 0 truncated\)/);
    const request = JSON.parse(readFileSync(out, "utf8"));
    // example-1: model [11,12,13] obs [900,901,902] model [14,15] obs [900,901,902] model [16,17]; reward 1 on id 17
    expect(request.response_ids[0]).toEqual([11, 12, 13, 900, 901, 902, 14, 15, 900, 901, 902, 16, 17]);
    expect(request.response_mask[0]).toEqual([1, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1]);
    expect(request.token_level_rewards[0][12]).toBe(1);
    expect(request.index).toEqual(["5a8b57f25542995d1e6f1371", "5a8b57f25542995d1e6f1371", "5a8c7595554299585d9e36b6"]);
    expect(await main(["node", "drkit", "rl", "compute", "--input", out, "--json"])).toBe(0);
  });

  it("reads the batch from stdin with -", () => {
    const child = spawnSync(
      process.execPath,
      ["--import", "tsx", "src/cli/run.ts", "rl", "compute", "--input", "-", "--json"],
      {
        input: JSON.stringify({
          adv_estimator: "rloo",
          token_level_rewards: [[1], [0], [2]],
          response_mask: [[1], [1], [1]],
          index: [1, 1, 1],
        }),
        encoding: "utf8",
      },
    );
    expect(child.status).toBe(0);
    expect(JSON.parse(child.stdout).advantages).toEqual([[0], [-1.5], [1.5]]);
  });
});
