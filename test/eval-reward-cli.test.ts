/**
 * `drkit eval --reward` in-process: the real CLI, agent loop, HTTP client and corpus search against the
 * scripted OpenAI-compatible fixture (a test fixture, not a model); the named reward is stored on each
 * trajectory while EM and accuracy stay as without it.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../src/cli/main.js";
import type { Trajectory } from "../src/core/trajectory.js";
import { buildCorpus } from "../src/corpus/build.js";
import { readRunTrajectories } from "../src/eval/run-store.js";
import {
  type RecordedRequest,
  type ScriptedOpenAIServer,
  startScriptedOpenAIServer,
} from "./fixtures/scripted-openai-server.js";

const home = mkdtempSync(join(tmpdir(), "drkit-eval-reward-cli-"));
const QUESTIONS = [
  ["r1", "Which city is the capital of France?", "Paris"],
  ["r2", "Which city is the capital of Italy?", "Rome"],
  ["r3", "Which city is the capital of Greece?", "Athens"],
] as const;
const questionFile = join(home, "capitals.jsonl");
let server: ScriptedOpenAIServer;
const savedKey = process.env.OPENAI_API_KEY;

beforeAll(async () => {
  const passages = join(home, "passages.jsonl");
  writeFileSync(
    passages,
    QUESTIONS.map(([id, , answer], index) =>
      JSON.stringify({ id: `p${index}`, title: answer, text: `${answer} is the capital city of country ${id}.` }),
    ).join("\n"),
  );
  await buildCorpus({ name: "capitals", from: [passages], home, quiet: true });
  writeFileSync(
    questionFile,
    QUESTIONS.map(([id, question, answer]) => JSON.stringify({ id, question, answer })).join("\n"),
  );
  // Search for the question's answer, then answer; r3 is answered wrong ("Sparta") on purpose.
  server = await startScriptedOpenAIServer({
    fallback: (request: RecordedRequest) => {
      const text = JSON.stringify(request.body.messages);
      const question = QUESTIONS.find(([, q]) => text.includes(q));
      const answer = question?.[0] === "r3" ? "Sparta" : (question?.[2] ?? "unknown");
      const searched = (request.body.messages as { role: string }[]).some((message) => message.role === "assistant");
      if (!searched)
        return {
          content: `<think>search first</think>\n<tool_call>{"name": "search", "arguments": {"query": ["${question?.[2]} capital"]}}</tool_call>`,
        };
      return { content: `<think>found it</think>\n<answer>${answer}</answer>` };
    },
  });
  process.env.OPENAI_API_KEY = "test";
});
afterAll(async () => {
  await server.close();
  if (savedKey === undefined) delete process.env.OPENAI_API_KEY;
  else process.env.OPENAI_API_KEY = savedKey;
});
afterEach(() => {
  vi.restoreAllMocks();
});

async function drkit(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  const code = await main(["node", "drkit", "--home", home, ...args]);
  process.exitCode = undefined;
  vi.restoreAllMocks();
  return { code, stdout, stderr };
}

const evalArgs = (runDirectory: string, extra: string[]) => [
  "eval",
  "--benchmark",
  questionFile,
  "--corpus",
  "capitals",
  "--model",
  "scripted",
  "--base-url",
  server.baseUrl,
  "--run-dir",
  runDirectory,
  "--quiet",
  ...extra,
];

describe("drkit eval --reward", () => {
  it("stores deepresearch-r1 on each trajectory and prints its mean; EM stays the accuracy", async () => {
    const runDirectory = join(home, "runs", "deepresearch");
    const result = await drkit(evalArgs(runDirectory, ["--reward", "deepresearch-r1"]));
    expect(result.stderr).not.toMatch(/unexpected error/);
    expect(result.code).toBe(0);
    const stored = readRunTrajectories(runDirectory);
    const byId = (id: string) => stored.find((trajectory) => trajectory.questionId === id) as Trajectory;
    expect(stored.map((trajectory) => trajectory.reward?.name)).toEqual(Array(3).fill("deepresearch-r1"));
    // Correct and tagged: 0.2 format + 1.0; the searched passage named the gold answer.
    expect(byId("r1").reward?.score).toBeCloseTo(1.2, 10);
    expect(byId("r2").reward?.score).toBeCloseTo(1.2, 10);
    expect(byId("r1").reward?.components).toMatchObject({ em: 1, format: 1, retrieval_hit: 1 });
    // Wrong ("Sparta"), but the agent searched "Athens capital": the gold is in a retrieved text → 0.2 + 0.1.
    expect(byId("r3").reward?.components).toMatchObject({ em: 0, format: 1, retrieval_hit: 1 });
    expect(byId("r3").reward?.score).toBeCloseTo(0.3, 10);
    expect(result.stdout).toContain("EM 66.7");
    expect(result.stdout).toContain("reward deepresearch-r1: mean 0.900 over 3 rollouts");
    const metrics = JSON.parse(readFileSync(join(runDirectory, "metrics.json"), "utf8"));
    expect(metrics.manifest.reward).toBe("deepresearch-r1");
    expect(metrics.overall.pass1).toBeCloseTo(2 / 3, 10);
  });

  it("without --reward the stored reward is plain EM (eval-em)", async () => {
    const runDirectory = join(home, "runs", "plain");
    expect((await drkit(evalArgs(runDirectory, []))).code).toBe(0);
    const stored = readRunTrajectories(runDirectory);
    expect(stored.map((trajectory) => trajectory.reward?.name)).toEqual(Array(3).fill("eval-em"));
    expect(stored.map((trajectory) => trajectory.reward?.score).sort()).toEqual([0, 1, 1]);
  });

  it("refuses an unknown reward, and a judge reward without --judge, before any rollout", async () => {
    const requests = server.requests.length;
    const unknown = await drkit(evalArgs(join(home, "runs", "bad"), ["--reward", "bleu"]));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown reward "bleu"; choose one of: em, f1/);
    const judge = await drkit(evalArgs(join(home, "runs", "bad2"), ["--reward", "webdancer"]));
    expect(judge.code).toBe(2);
    expect(judge.stderr).toMatch(/--reward webdancer .* add --judge/);
    expect(server.requests.length).toBe(requests);
  });
});
