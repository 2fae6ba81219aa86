import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parquetReadObjects } from "hyparquet";
import { afterEach, describe, expect, it, vi } from "vitest";
import { makeTrajectory } from "../../test/fixtures/rl-trajectories.js";
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

const readJsonl = (file: string) =>
  readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line));

describe("drkit collect", () => {
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });

  it("filter → export sft-chatml and webdancer, with the RL pool", async () => {
    const dir = mkdtempSync(join(tmpdir(), "drkit-collect-cli-"));
    const input = join(dir, "trajectories.jsonl");
    const turn = { text: "<tool_call>{}</tool_call>", toolArguments: { query: ["a"] }, observation: "doc" };
    const trajectories = [
      makeTrajectory({
        id: "a1",
        questionId: "qa",
        question: "Who?",
        goldAnswers: ["x"],
        reward: 1,
        turns: [turn, { text: "<answer>x</answer>" }],
      }),
      makeTrajectory({
        id: "a2",
        questionId: "qa",
        question: "Who?",
        goldAnswers: ["x"],
        reward: 0.5,
        turns: [turn, { text: "<answer>y</answer>" }],
      }),
      makeTrajectory({
        id: "b1",
        questionId: "qb",
        question: "When?",
        goldAnswers: ["1990"],
        reward: 0,
        turns: [{ text: "<answer>z</answer>" }],
      }),
    ];
    writeFileSync(input, trajectories.map((t) => JSON.stringify(t)).join("\n"));
    const io = capture();
    const kept = join(dir, "kept.jsonl");
    const pool = join(dir, "pool.jsonl");
    const rejected = join(dir, "rejected.jsonl");
    expect(
      await main([
        "node",
        "drkit",
        "collect",
        "filter",
        "--in",
        input,
        "--out",
        kept,
        "--rl-pool",
        pool,
        "--rejected",
        rejected,
      ]),
    ).toBe(0);
    expect(io.out()).toMatch(/kept 1 of 3 trajectories/);
    expect(readJsonl(kept).map((t) => t.id)).toEqual(["a1"]);
    expect(readJsonl(pool)).toEqual([{ id: "qb", question: "When?", answers: ["1990"], source: "drkit" }]);
    expect(readJsonl(rejected).map((r) => r.stage)).toEqual(["correctness", "correctness"]);

    expect(
      await main(["node", "drkit", "collect", "filter", "--in", input, "--out", kept, "--min-reward", "0.5", "--json"]),
    ).toBe(0);
    expect(readJsonl(kept).map((t) => t.id)).toEqual(["a1", "a2"]);

    const sft = join(dir, "sft.jsonl");
    expect(
      await main(["node", "drkit", "collect", "export", "--in", kept, "--format", "sft-chatml", "--out", sft]),
    ).toBe(0);
    const records = readJsonl(sft);
    expect(records).toHaveLength(2);
    expect(records[0].messages.filter((m: { loss: boolean }) => m.loss).map((m: { role: string }) => m.role)).toEqual([
      "assistant",
      "assistant",
    ]);
    const webdancer = join(dir, "wd.jsonl");
    expect(
      await main(["node", "drkit", "collect", "export", "--in", kept, "--format", "webdancer", "--out", webdancer]),
    ).toBe(0);
    expect(readJsonl(webdancer)[0].answer).toEqual([["x"]]);

    const parquet = join(dir, "pool.parquet");
    expect(
      await main([
        "node",
        "drkit",
        "collect",
        "export",
        "--in",
        pool,
        "--format",
        "verl-parquet",
        "--out",
        parquet,
        "--source",
        "nq",
      ]),
    ).toBe(0);
    const rows = await parquetReadObjects({ file: new Uint8Array(readFileSync(parquet)).buffer });
    expect((rows[0] as Record<string, unknown>).data_source).toBe("nq");
    expect((rows[0] as Record<string, unknown>).reward_model).toEqual({
      style: "rule",
      ground_truth: { target: ["1990"] },
    });
  });

  it("exports bundled HotpotQA questions to verl parquet", async () => {
    const dir = mkdtempSync(join(tmpdir(), "drkit-collect-cli-"));
    const out = join(dir, "hotpotqa.parquet");
    capture();
    expect(
      await main([
        "node",
        "drkit",
        "collect",
        "export",
        "--in",
        "data/hotpotqa/questions.jsonl",
        "--format",
        "verl-parquet",
        "--out",
        out,
        "--source",
        "hotpotqa",
        "--limit",
        "25",
      ]),
    ).toBe(0);
    const rows = (await parquetReadObjects({ file: new Uint8Array(readFileSync(out)).buffer })) as Array<
      Record<string, unknown>
    >;
    expect(rows).toHaveLength(25);
    expect(rows.map((row) => (row.extra_info as { index: bigint }).index).map(Number)).toEqual([...Array(25).keys()]);
    expect(rows.every((row) => row.data_source === "hotpotqa")).toBe(true);
  });

  it("rejects unknown formats and bad files clearly", async () => {
    const io = capture();
    expect(await main(["node", "drkit", "collect", "export", "--in", "x", "--format", "csv", "--out", "y"])).toBe(2);
    expect(io.err()).toMatch(/unknown --format "csv": use sft-chatml, webdancer, verl-parquet/);
    expect(await main(["node", "drkit", "collect", "filter", "--in", "/nonexistent.jsonl", "--out", "y"])).toBe(2);
    expect(io.err()).toMatch(/does not exist/);
  });
});
