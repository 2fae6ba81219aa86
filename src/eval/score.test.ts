import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DataError } from "../core/errors.js";
import { loadBenchmark } from "../data/load.js";
import { readPredictions, scorePredictions } from "./score.js";

const directory = mkdtempSync(join(tmpdir(), "drkit-score-"));

describe("scorePredictions", () => {
  it("scores the shipped example against Bamboogle by hand-computed values", async () => {
    const gold = await loadBenchmark("bamboogle", { limit: 5 });
    const predictions = await readPredictions("examples/bamboogle-predictions.jsonl");
    const report = scorePredictions(predictions, gold.questions, ["em", "f1", "cover_em"]);
    expect(report.count).toBe(5);
    expect(report.missing).toBe(1);
    // em: 1/5; f1: (1 + 0.8 + 0 + 2/3 + 0)/5; cover: (1 + 1 + 0 + 0 + 0)/5
    expect(report.aggregate.em).toBeCloseTo(0.2, 12);
    expect(report.aggregate.f1).toBeCloseTo((1 + 0.8 + 2 / 3) / 5, 12);
    expect(report.aggregate.cover_em).toBeCloseTo(0.4, 12);
    expect(report.items[1]?.scores.em).toBe(0);
    expect(report.items[1]?.scores.f1).toBeCloseTo(0.8, 12);
    expect(report.items[1]?.scores.cover_em).toBe(1);
  });
  it("groups by source for mixed sets, reports unknown ids, and scores the first of repeated ids", async () => {
    const gold = await loadBenchmark("flashrag-dev", { filter: ["source=nq|Bamboogle"], limit: 250 });
    const first = gold.questions.find((question) => question.source === "nq");
    const file = join(directory, "preds.jsonl");
    writeFileSync(
      file,
      [
        { questionId: first?.id, prediction: `<answer>${first?.goldAnswers[0]}</answer>` },
        { questionId: first?.id, prediction: "<answer>wrong</answer>" },
        { questionId: "nope", prediction: "x" },
      ]
        .map((row) => JSON.stringify(row))
        .join("\n"),
    );
    const report = scorePredictions(await readPredictions(file, { extraction: "verl" }), gold.questions, ["em"]);
    expect(report.unknownIds).toEqual(["nope"]);
    expect(Object.keys(report.bySource).sort()).toEqual(["Bamboogle", "nq"]);
    expect(report.bySource.nq?.em).toBeCloseTo(1 / (report.bySource.nq?.count ?? 1), 12);
  });
  it("rejects a prediction row without id with file:line", async () => {
    const file = join(directory, "bad.jsonl");
    writeFileSync(file, '{"id": "a", "prediction": "x"}\n{"prediction": "y"}\n');
    await expect(readPredictions(file)).rejects.toThrow(DataError);
    await expect(readPredictions(file)).rejects.toThrow(/bad\.jsonl:2: no id field/);
  });
});

describe("drkit score CLI", () => {
  it("prints JSON with the aggregate", () => {
    const output = execFileSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "src/cli/run.ts",
        "score",
        "--pred",
        "examples/bamboogle-predictions.jsonl",
        "--gold",
        "bamboogle",
        "--limit",
        "5",
        "--metrics",
        "em,f1",
        "--json",
      ],
      { encoding: "utf8" },
    );
    const report = JSON.parse(output) as { aggregate: { em: number; f1: number }; missing: number };
    expect(report.aggregate.em).toBeCloseTo(0.2, 12);
    expect(report.missing).toBe(1);
  });
  it("exits 2 with a clear message on an unknown metric", () => {
    let status = 0;
    let stderr = "";
    try {
      execFileSync(
        process.execPath,
        ["--import", "tsx", "src/cli/run.ts", "score", "--pred", "x.jsonl", "--gold", "bamboogle", "--metrics", "bleu"],
        {
          encoding: "utf8",
          stdio: "pipe",
        },
      );
    } catch (error) {
      status = (error as { status: number }).status;
      stderr = String((error as { stderr: string }).stderr);
    }
    expect(status).toBe(2);
    expect(stderr).toMatch(/unknown metric bleu/);
  });
});
