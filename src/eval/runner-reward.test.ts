/** `runEvaluation({reward})` (drkit eval --reward): a named reward stored on each trajectory, EM kept. */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../core/errors.js";
import { emptyUsage, type Trajectory, type Turn } from "../core/trajectory.js";
import { loadBenchmark } from "../data/load.js";
import type { Question } from "../data/question.js";
import { createReward } from "../reward/rewards.js";
import { writeRunReport } from "./report.js";
import { type EvalManifest, readRunTrajectories } from "./run-store.js";
import { type Rollout, runEvaluation } from "./runner.js";

let questions: Question[];
/** A real supporting paragraph per question (from the bundled HotpotQA slice) that contains its answer. */
const evidence = new Map<string, string>();

beforeAll(async () => {
  const loaded = await loadBenchmark("hotpotqa", { limit: 40 });
  const rows = readFileSync("data/hotpotqa/questions.jsonl", "utf8")
    .split("\n")
    .slice(0, 40)
    .map((line) => JSON.parse(line) as { _id: string; answer: string; context: [string, string][] });
  for (const row of rows) {
    const paragraph = row.context.find(([, text]) => text.includes(row.answer));
    if (paragraph && row.answer !== "yes" && row.answer !== "no")
      evidence.set(row._id, `${paragraph[0]}\n${paragraph[1]}`);
  }
  questions = loaded.questions.filter((question) => evidence.has(question.id)).slice(0, 4);
});

function manifest(extra: Partial<EvalManifest> = {}): EvalManifest {
  return {
    version: 1,
    benchmark: "hotpotqa",
    selection: {},
    questionIds: questions.map((question) => question.id),
    k: 1,
    protocol: "search-r1",
    model: "table",
    baseUrl: null,
    search: null,
    judge: null,
    judgeModel: null,
    settings: {},
    createdAt: new Date().toISOString(),
    ...extra,
  };
}

function turn(index: number, text: string, observation?: string): Turn {
  return {
    index,
    text,
    action: observation ? "tool" : "answer",
    toolCalls: [],
    toolResults: observation
      ? [
          {
            callId: `c${index}`,
            name: "search",
            content: observation,
            isError: false,
            durationMs: 0,
            sources: [],
            cached: false,
          },
        ]
      : [],
    ...(observation ? { observation: `\n\n<information>${observation}</information>\n\n` } : {}),
    usage: { promptTokens: 10, completionTokens: 5 },
    startedAt: "2026-01-01T00:00:00Z",
    modelMs: 1,
    toolMs: 0,
  };
}

type Plan = { answer: string | null; search: boolean; tags: boolean; thinks: boolean };

/** Search-R1-shaped rollouts from a plan per question index (test double for the agent). */
function plannedRollout(plans: Plan[]): Rollout {
  return async (question, sample) => {
    const plan = plans[questions.indexOf(question)] as Plan;
    const turns: Turn[] = [];
    if (plan.search)
      turns.push(
        turn(0, `<think>look it up</think>\n<search>${question.question}</search>`, evidence.get(question.id)),
      );
    const final = plan.answer === null ? "I do not know." : plan.tags ? `<answer>${plan.answer}</answer>` : plan.answer;
    turns.push(turn(turns.length, plan.thinks ? `<think>done</think>\n${final}` : final));
    return {
      version: 1,
      id: `${question.id}-${sample}`,
      question: question.question,
      goldAnswers: [],
      protocol: "search-r1",
      sample,
      messages: [],
      turns,
      usage: { ...emptyUsage(), totalTokens: 15, llmCalls: turns.length },
      timings: { startedAt: "2026-01-01T00:00:00Z", durationMs: 5 },
      termination: plan.answer === null ? "answer not found" : "answer",
      prediction: plan.answer,
      verdicts: [],
      metadata: {},
    } satisfies Trajectory;
  };
}

describe("runEvaluation with a named reward", () => {
  it("deepresearch-r1: stores 1.2 / 0.3 / 0.2 / 0 on real HotpotQA questions, EM and accuracy as before", async () => {
    expect(questions).toHaveLength(4);
    const gold = (index: number) => (questions[index] as Question).goldAnswers[0] as string;
    const plans: Plan[] = [
      { answer: gold(0), search: true, tags: true, thinks: true }, // correct → 0.2 + 1.0
      { answer: "Atlantis", search: true, tags: true, thinks: true }, // wrong, gold in retrieved paragraph → 0.3
      { answer: "Atlantis", search: false, tags: true, thinks: true }, // wrong → 0.2
      { answer: gold(3), search: false, tags: false, thinks: true }, // right but untagged → 0, EM still 1
    ];
    const runDirectory = mkdtempSync(join(tmpdir(), "drkit-eval-reward-"));
    const summary = await runEvaluation({
      runDirectory,
      manifest: manifest({ reward: "deepresearch-r1" }),
      questions,
      k: 1,
      rollout: plannedRollout(plans),
      reward: createReward("deepresearch-r1"),
      quiet: true,
    });
    expect(summary.completed).toBe(4);
    const stored = readRunTrajectories(runDirectory);
    const byQuestion = questions.map((question) => stored.find((t) => t.questionId === question.id) as Trajectory);
    expect(byQuestion.map((t) => t.reward?.name)).toEqual(Array(4).fill("deepresearch-r1"));
    expect(byQuestion.map((t) => t.reward?.score)).toEqual(
      [1.2, 0.3, 0.2, 0].map((value) => expect.closeTo(value, 10)),
    );
    expect(byQuestion.map((t) => t.reward?.components.em)).toEqual([1, 0, 0, 1]);
    expect(byQuestion.map((t) => t.reward?.components.retrieval_hit)).toEqual([1, 1, 0, 0]);
    expect(byQuestion.map((t) => t.reward?.components.format)).toEqual([1, 1, 1, 0]);

    const report = writeRunReport(runDirectory);
    expect(report.em.pass1).toBeCloseTo(0.5, 10); // EM accuracy as without --reward
    expect(report.overall.pass1).toBeCloseTo(0.5, 10);
    expect(report.reward).toEqual({ name: "deepresearch-r1", mean: expect.closeTo(1.7 / 4, 10), count: 4 });
    expect(readFileSync(join(runDirectory, "report.md"), "utf8")).toContain(
      "Mean reward (deepresearch-r1): 0.425 over 4 rollouts.",
    );

    // Resume: same reward skips everything; a different reward is refused (stored rewards would mix).
    const again = await runEvaluation({
      runDirectory,
      manifest: manifest({ reward: "deepresearch-r1" }),
      questions,
      k: 1,
      rollout: plannedRollout(plans),
      reward: createReward("deepresearch-r1"),
      quiet: true,
    });
    expect(again).toMatchObject({ skipped: 4, completed: 0 });
    await expect(
      runEvaluation({
        runDirectory,
        manifest: manifest({ reward: "search-r1-format" }),
        questions,
        k: 1,
        rollout: plannedRollout(plans),
        reward: createReward("search-r1-format"),
        quiet: true,
      }),
    ).rejects.toThrow(ConfigError);
  });

  it("search-r1-format: the v0.3 table from the Search-R1 tag grammar (1 / 0.8 / 0.2 / 0.1)", async () => {
    const gold = (index: number) => (questions[index] as Question).goldAnswers[0] as string;
    const plans: Plan[] = [
      { answer: gold(0), search: true, tags: true, thinks: true }, // correct, valid → 1
      { answer: gold(1), search: true, tags: true, thinks: false }, // correct, invalid (no think) → 0.8
      { answer: "Atlantis", search: true, tags: true, thinks: true }, // wrong, valid → 0.2
      { answer: "Atlantis", search: false, tags: true, thinks: false }, // wrong, invalid → 0.1
    ];
    const runDirectory = mkdtempSync(join(tmpdir(), "drkit-eval-reward-"));
    await runEvaluation({
      runDirectory,
      manifest: manifest({ reward: "search-r1-format" }),
      questions,
      k: 1,
      rollout: plannedRollout(plans),
      reward: createReward("search-r1-format"),
      quiet: true,
    });
    const stored = readRunTrajectories(runDirectory);
    const byQuestion = questions.map((question) => stored.find((t) => t.questionId === question.id) as Trajectory);
    expect(byQuestion.map((t) => t.reward?.score)).toEqual(
      [1, 0.8, 0.2, 0.1].map((value) => expect.closeTo(value, 10)),
    );
    expect(byQuestion.map((t) => t.reward?.components.format)).toEqual([1, 0, 1, 0]);
    expect(byQuestion.map((t) => t.reward?.components.em)).toEqual([1, 1, 0, 0]);
  });

  it("a reward that fails (judge error) keeps the rollout with plain EM and the reason in metadata", async () => {
    const failingJudge = {
      name: "down",
      judge: async () => ({ judge: "down", correct: null, status: "error" as const, error: "HTTP 503" }),
    };
    const runDirectory = mkdtempSync(join(tmpdir(), "drkit-eval-reward-"));
    const gold = (questions[0] as Question).goldAnswers[0] as string;
    const plans: Plan[] = questions.map(() => ({ answer: gold, search: false, tags: true, thinks: true }));
    const summary = await runEvaluation({
      runDirectory,
      manifest: manifest({ reward: "judge" }),
      questions,
      k: 1,
      rollout: plannedRollout(plans),
      reward: createReward("judge", { judge: failingJudge }),
      quiet: true,
    });
    expect(summary.completed).toBe(4);
    const stored = readRunTrajectories(runDirectory);
    expect(stored.map((t) => t.reward?.name)).toEqual(Array(4).fill("eval-em"));
    expect(stored.map((t) => t.metadata.rewardError)).toEqual(Array(4).fill(expect.stringMatching(/judge.*HTTP 503/)));
    expect(stored.filter((t) => t.reward?.components.em === 1)).toHaveLength(1);
  });
});
