import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startScriptedOpenAIServer } from "../../test/fixtures/scripted-openai-server.js";
import { DataError } from "../core/errors.js";
import { loadBenchmark } from "../data/load.js";
import { OpenAICompatibleChatModel } from "../llm/openai-compatible.js";
import { createJudge } from "./judges/judge.js";
import { judgeScoreReport, readPredictions, scorePredictions } from "./score.js";

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

describe("judged scoring", () => {
  it("adds judge verdicts; a judge error is unscored, a missing prediction is wrong", async () => {
    const gold = await loadBenchmark("bamboogle", { limit: 5 });
    const report = scorePredictions(await readPredictions("examples/bamboogle-predictions.jsonl"), gold.questions, [
      "em",
    ]);
    const server = await startScriptedOpenAIServer({
      fallback: (request) => {
        const prompt = request.body.messages[0].content as string;
        if (prompt.includes("Predicted answer: 2000"))
          return { status: 500, errorBody: { error: { message: "down" } } };
        return {
          content:
            prompt.includes("Predicted answer: James Madison") || prompt.includes("Titan IIIE rocket")
              ? "Correct"
              : "Incorrect",
        };
      },
    });
    try {
      const judge = createJudge(
        "equivalence",
        new OpenAICompatibleChatModel({ baseUrl: server.baseUrl, model: "j", maxRetries: 0 }),
        {
          retries: 0,
        },
      );
      const judged = await judgeScoreReport(report, gold.questions, judge, 2);
      // 4 predictions judged (2 correct, 1 wrong, 1 error) + 1 missing (wrong): 2 of 4 decided
      expect(judged.judge).toEqual({
        name: "equivalence",
        accuracy: 0.5,
        decided: 4,
        errors: 1,
        disagreements: ["bamboogle-2"],
      });
      expect(judged.items[2]?.verdict?.status).toBe("error");
      expect(server.requests).toHaveLength(4);
      expect(server.requests.map((request) => request.body.messages[0].content).join("\n")).toContain(
        "Question: What rocket was the first spacecraft that ever approached Uranus launched on?",
      );
    } finally {
      await server.close();
    }
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
