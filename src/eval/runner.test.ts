import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { emptyUsage, type Trajectory, type Verdict } from "../core/trajectory.js";
import type { Question } from "../data/question.js";
import { compareRuns, writeRunReport } from "./report.js";
import { type EvalManifest, readRunTrajectories } from "./run-store.js";
import { type Rollout, runEvaluation } from "./runner.js";

const questions: Question[] = [
  { id: "q1", question: "Capital of France?", goldAnswers: ["Paris"], level: "1", source: "test", metadata: {} },
  { id: "q2", question: "Capital of Italy?", goldAnswers: ["Rome"], level: "2", source: "test", metadata: {} },
  { id: "q3", question: "Capital of Spain?", goldAnswers: ["Madrid"], level: "2", source: "test", metadata: {} },
];

function manifest(extra: Partial<EvalManifest> = {}): EvalManifest {
  return {
    version: 1,
    benchmark: "unit",
    selection: {},
    questionIds: questions.map((question) => question.id),
    k: 2,
    protocol: "react",
    model: "m",
    baseUrl: null,
    search: null,
    judge: null,
    judgeModel: null,
    settings: {},
    createdAt: new Date().toISOString(),
    ...extra,
  };
}

/** Test double for the agent: answers from a table, one turn, fixed usage. */
function tableRollout(answers: Record<string, string | null | Error>): Rollout {
  return async (question, sample) => {
    const answer = answers[`${question.id}#${sample}`] ?? answers[question.id] ?? null;
    if (answer instanceof Error) throw answer;
    return {
      version: 1,
      id: `${question.id}-${sample}`,
      question: question.question,
      goldAnswers: [],
      protocol: "react",
      sample,
      messages: [],
      turns: [
        {
          index: 0,
          text: `<answer>${answer}</answer>`,
          action: "answer",
          toolCalls: [],
          toolResults: [],
          usage: { promptTokens: 10, completionTokens: 5 },
          startedAt: "2026-01-01T00:00:00Z",
          modelMs: 1,
          toolMs: 0,
        },
      ],
      usage: { ...emptyUsage(), promptTokens: 10, completionTokens: 5, totalTokens: 15, llmCalls: 1, costUsd: 0.001 },
      timings: { startedAt: "2026-01-01T00:00:00Z", durationMs: 5 },
      termination: answer === null ? "answer not found" : "answer",
      prediction: answer,
      verdicts: [],
      metadata: {},
    } satisfies Trajectory;
  };
}

describe("runEvaluation", () => {
  it("runs k rollouts per question, scores them, writes reports", async () => {
    const runDirectory = mkdtempSync(join(tmpdir(), "drkit-eval-"));
    const summary = await runEvaluation({
      runDirectory,
      manifest: manifest(),
      questions,
      k: 2,
      concurrency: 3,
      quiet: true,
      rollout: tableRollout({ q1: "Paris", "q2#0": "Rome", "q2#1": "Milan", q3: null }),
    });
    expect(summary).toMatchObject({ completed: 6, skipped: 0, errors: 0, total: 6 });
    const stored = readRunTrajectories(runDirectory);
    expect(stored).toHaveLength(6);
    expect(stored.find((item) => item.questionId === "q1")?.reward?.components.em).toBe(1);
    expect(stored.find((item) => item.questionId === "q1")?.metadata.level).toBe("1");
    const report = writeRunReport(runDirectory);
    // q1: 2/2, q2: 1/2, q3: 0/2 → Avg@2 = 0.5; run 0: 2/3, run 1: 1/3; Pass@2: q1, q2 → 2/3
    expect(report.overall.avgAtK).toBeCloseTo(0.5, 12);
    expect(report.overall.pass1PerRun[0]).toBeCloseTo(2 / 3, 12);
    expect(report.overall.passAtK["2"]).toBeCloseTo(2 / 3, 12);
    expect(report.agent.terminations).toEqual({ answer: 4, "answer not found": 2 });
    const markdown = readFileSync(join(runDirectory, "report.md"), "utf8");
    expect(markdown).toContain("| overall | 3 | 66.7 | 50.0 | 66.7 | 66.7 |");
    expect(markdown).toContain("## By level");
    const html = readFileSync(join(runDirectory, "report.html"), "utf8");
    expect(html).toContain("<svg");
    expect(html).toContain("Accuracy (Avg@k) by level");
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    expect(compareRuns([runDirectory, runDirectory]).trim().split("\n")).toHaveLength(4);
  });

  it("resumes without repeating or duplicating, and refuses a different manifest", async () => {
    const runDirectory = mkdtempSync(join(tmpdir(), "drkit-eval-"));
    const calls: string[] = [];
    const counting: Rollout = async (question, sample, signal) => {
      calls.push(`${question.id}#${sample}`);
      return tableRollout({ q1: "Paris", q2: "Rome", q3: "Madrid" })(question, sample, signal);
    };
    await runEvaluation({
      runDirectory,
      manifest: manifest(),
      questions: questions.slice(0, 2),
      k: 2,
      quiet: true,
      rollout: counting,
    });
    expect(calls).toHaveLength(4);
    await expect(
      runEvaluation({ runDirectory, manifest: manifest({ k: 3 }), questions, k: 3, quiet: true, rollout: counting }),
    ).rejects.toThrow(/different settings[\s\S]*k: run has 2, now 3/);
    const summary = await runEvaluation({
      runDirectory,
      manifest: manifest(),
      questions,
      k: 2,
      quiet: true,
      rollout: counting,
    });
    expect(summary).toMatchObject({ skipped: 4, completed: 2 });
    expect(calls.slice(4).sort()).toEqual(["q3#0", "q3#1"]);
    const keys = readRunTrajectories(runDirectory).map((item) => `${item.questionId}#${item.sample}`);
    expect(new Set(keys).size).toBe(6);
    expect(readFileSync(join(runDirectory, "trajectories.jsonl"), "utf8").trim().split("\n")).toHaveLength(6);
  });

  it("records errors and timeouts per item; an interrupted item is not stored", async () => {
    const runDirectory = mkdtempSync(join(tmpdir(), "drkit-eval-"));
    const slow: Rollout = (question, sample, signal) =>
      question.id === "q3"
        ? new Promise((_, reject) => signal.addEventListener("abort", () => reject(new Error("aborted"))))
        : tableRollout({ q1: "Paris", q2: new Error("provider down") })(question, sample, signal);
    const summary = await runEvaluation({
      runDirectory,
      manifest: manifest({ k: 1 }),
      questions,
      k: 1,
      quiet: true,
      itemTimeoutMs: 50,
      rollout: slow,
    });
    expect(summary).toMatchObject({ completed: 3, errors: 2 });
    const stored = readRunTrajectories(runDirectory);
    expect(stored.find((item) => item.questionId === "q2")).toMatchObject({
      termination: "error",
      error: { message: "provider down" },
    });
    expect(stored.find((item) => item.questionId === "q3")).toMatchObject({
      termination: "wall clock limit",
      prediction: null,
    });

    // --retry-errors: the failed items run again and a success replaces them; successes are not repeated.
    const retriedCalls: string[] = [];
    const fixed: Rollout = async (question, sample, signal) => {
      retriedCalls.push(question.id);
      return tableRollout({ q1: "Paris", q2: "Rome", q3: "Madrid" })(question, sample, signal);
    };
    const retried = await runEvaluation({
      runDirectory,
      manifest: manifest({ k: 1 }),
      questions,
      k: 1,
      quiet: true,
      retryErrors: true,
      rollout: fixed,
    });
    expect(retried).toMatchObject({ skipped: 1, completed: 2, errors: 0 });
    expect(retriedCalls.sort()).toEqual(["q2", "q3"]);
    const afterRetry = readRunTrajectories(runDirectory);
    expect(afterRetry.map((item) => [item.questionId, item.prediction])).toEqual([
      ["q1", "Paris"],
      ["q2", "Rome"],
      ["q3", "Madrid"],
    ]);

    const other = mkdtempSync(join(tmpdir(), "drkit-eval-"));
    const controller = new AbortController();
    const hanging: Rollout = (question, sample, signal) => {
      if (question.id === "q2") setTimeout(() => controller.abort(), 10);
      return question.id === "q1"
        ? tableRollout({ q1: "Paris" })(question, sample, signal)
        : new Promise((_, reject) => signal.addEventListener("abort", () => reject(new Error("aborted"))));
    };
    const interrupted = await runEvaluation({
      runDirectory: other,
      manifest: manifest({ k: 1 }),
      questions,
      k: 1,
      concurrency: 3,
      quiet: true,
      signal: controller.signal,
      rollout: hanging,
    });
    expect(interrupted).toMatchObject({ completed: 1, interrupted: 2 });
    expect(readRunTrajectories(other).map((item) => item.questionId)).toEqual(["q1"]);
  });

  it("uses the judge verdict for correctness and never counts a judge error", async () => {
    const runDirectory = mkdtempSync(join(tmpdir(), "drkit-eval-"));
    const judge = {
      name: "equivalence",
      async judge(item: { prediction: string }): Promise<Verdict> {
        if (item.prediction === "Milan")
          return { judge: "equivalence", status: "error", correct: null, error: "timeout" };
        return { judge: "equivalence", status: "ok", correct: item.prediction !== "Lyon" };
      },
    };
    await runEvaluation({
      runDirectory,
      manifest: manifest({ k: 1, judge: "equivalence" }),
      questions,
      k: 1,
      quiet: true,
      judge,
      rollout: tableRollout({ q1: "Paris, France", q2: "Milan", q3: "Lyon" }),
    });
    const report = writeRunReport(runDirectory);
    expect(report.overall.unscored).toBe(1);
    expect(report.overall.pass1).toBeCloseTo(0.5, 12); // q1 right (judge), q3 wrong; q2 unscored
    expect(report.em.pass1).toBe(0);
    expect(report.disagreements.map((entry) => entry.questionId)).toEqual(["q1"]);
    expect(readFileSync(join(runDirectory, "report.md"), "utf8")).toContain("Judge vs exact match (1 disagreements)");
  });
});
