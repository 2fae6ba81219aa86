import { execFile, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { promisify } from "node:util";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InputError } from "../core/errors.js";
import { type RewardServer, startRewardServer } from "./reward-server.js";

interface HotpotRow {
  _id: string;
  question: string;
  answer: string;
  context: [string, string][];
}

// The first 40 HotpotQA dev questions of the bundled slice (real questions and gold answers).
const hotpot: HotpotRow[] = readFileSync("data/hotpotqa/questions.jsonl", "utf8")
  .split("\n")
  .slice(0, 40)
  .map((line) => JSON.parse(line) as HotpotRow);
/** Questions with a span answer found in one of their own context paragraphs. */
const withEvidence = hotpot
  .filter((row) => row.answer !== "yes" && row.answer !== "no")
  .map((row) => ({ row, paragraph: row.context.find(([, text]) => text.includes(row.answer)) }))
  .filter((entry): entry is { row: HotpotRow; paragraph: [string, string] } => entry.paragraph !== undefined)
  .slice(0, 6);

const prompt = (row: HotpotRow) =>
  `Answer the question. Put the final answer in <answer> and </answer>. Question: ${row.question}\n`;

let emServer: RewardServer;
let compositeServer: RewardServer;
let routedServer: RewardServer;

beforeAll(async () => {
  emServer = await startRewardServer({ port: 0, reward: "em", maxBodyBytes: 64 * 1024, maxItems: 50 });
  compositeServer = await startRewardServer({ port: 0, reward: "deepresearch-r1" });
  routedServer = await startRewardServer({ port: 0 });
});
afterAll(async () => {
  await Promise.all([emServer.close(), compositeServer.close(), routedServer.close()]);
});

async function call(server: RewardServer, path: string, body?: unknown, method = "POST") {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { "Content-Type": "application/json" },
    ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
  });
  return {
    status: response.status,
    allow: response.headers.get("allow"),
    body: (await response.json()) as Record<string, unknown>,
  };
}

describe("POST /get_reward (OpenRLHF remote reward)", () => {
  it("binds loopback and scores real HotpotQA answers with EM: gold answer 1, another question's answer 0", async () => {
    expect(new URL(emServer.url).hostname).toBe("127.0.0.1");
    const rows = hotpot.slice(0, 10);
    const answers = rows.map((row, index) => (index % 2 === 0 ? row.answer : (hotpot[index + 20] as HotpotRow).answer));
    const { status, body } = await call(emServer, "/get_reward", {
      query: rows.map((row, index) => `${prompt(row)}<think>I recall it.</think><answer> ${answers[index]} </answer>`),
      prompts: rows.map(prompt),
      labels: rows.map((row) => row.answer),
    });
    expect(status).toBe(200);
    const expected = rows.map((row, index) => (answers[index] === row.answer ? 1 : 0));
    expect(expected.filter((value) => value === 1)).toHaveLength(5);
    expect(body.rewards).toEqual(expected);
    expect(body.scores).toEqual(expected);
    const logs = body.extra_logs as Record<string, number[]>;
    expect(logs.em).toEqual(expected);
    expect(logs.answered).toEqual(rows.map(() => 1));
  });

  it("normalises like the official script (case, articles, punctuation) and accepts {target: [...]} labels", async () => {
    const row = hotpot[1] as HotpotRow; // "Chief of Protocol"
    const { body } = await call(emServer, "/get_reward", {
      query: [`${prompt(row)}<answer>the chief of protocol.</answer>`, `${prompt(row)}<answer>Chief of Staff</answer>`],
      prompts: [prompt(row), prompt(row)],
      labels: [{ target: [row.answer] }, { target: [row.answer] }],
    });
    expect(body.rewards).toEqual([1, 0]);
    expect((body.extra_logs as Record<string, number[]>).f1?.[1]).toBeCloseTo(2 / 3, 10);
  });

  it("without prompts, skips the prompt's example answer (Search-R1 extraction)", async () => {
    const row = hotpot[2] as HotpotRow; // "Animorphs"
    const withExample = `Example: <answer> Beijing </answer>. Question: ${row.question}\n`;
    const { body } = await call(emServer, "/get_reward", {
      query: [`${withExample}<answer>${row.answer}</answer>`, withExample],
      labels: [row.answer, row.answer],
    });
    expect(body.rewards).toEqual([1, 0]);
    expect((body.extra_logs as Record<string, number[]>).answered).toEqual([1, 0]);
  });

  it("deepresearch-r1 composite: 1.2 correct, 0.3 wrong with the gold in a retrieved paragraph, 0.2 wrong, 0 untagged", async () => {
    expect(withEvidence.length).toBeGreaterThanOrEqual(4);
    const query: string[] = [];
    const expected: number[] = [];
    for (const [index, { row, paragraph }] of withEvidence.entries()) {
      const information = `<information>Doc 1(Title: "${paragraph[0]}") ${paragraph[1]}</information>`;
      const wrong = "Nobody in particular";
      const cases: [string, number][] = [
        [`<think>a</think><search>${row.question}</search>${information}<answer>${row.answer}</answer>`, 1.2],
        [`<think>a</think><search>${row.question}</search>${information}<answer>${wrong}</answer>`, 0.3],
        [`<think>a</think><answer>${wrong}</answer>`, 0.2],
        [`<think>a</think>The answer is ${row.answer}.`, 0],
      ];
      const [response, reward] = cases[index % cases.length] as [string, number];
      query.push(`${prompt(row)}${response}`);
      expected.push(reward);
    }
    const { status, body } = await call(compositeServer, "/get_reward", {
      query,
      prompts: withEvidence.map(({ row }) => prompt(row)),
      labels: withEvidence.map(({ row }) => row.answer),
    });
    expect(status).toBe(200);
    expect(body.rewards).toEqual(expected.map((value) => expect.closeTo(value, 10)));
    expect(body.scores).toEqual(expected.map((value) => Math.min(1, value)).map((value) => expect.closeTo(value, 10)));
    const logs = body.extra_logs as Record<string, number[]>;
    expect(logs.retrieval_hit).toEqual(expected.map((value) => (value === 1.2 || value === 0.3 ? 1 : 0)));
    expect(logs.format).toEqual(expected.map((value) => (value > 0 ? 1 : 0)));
  });
});

describe("POST /compute_score (verl)", () => {
  it("routes by data_source: hotpotqa → search-r1-em, deep_research_9k → deepresearch-r1", async () => {
    const row = hotpot[4] as HotpotRow; // "Greenwich Village, New York City"
    const solution = `<think>…</think><answer>${row.answer}</answer>`;
    const hotpotScore = await call(routedServer, "/compute_score", {
      data_source: "hotpotqa",
      solution_str: solution,
      ground_truth: { target: [row.answer] },
      extra_info: { split: "dev", index: 4 },
    });
    expect(hotpotScore.status).toBe(200);
    expect(hotpotScore.body).toMatchObject({ score: 1, em: 1, f1: 1 });
    const deep = await call(routedServer, "/compute_score", {
      data_source: "deep_research_9k",
      solution_str: solution,
      ground_truth: `Greenwich Village<|answer_split|>${row.answer}`,
    });
    expect(deep.body.score).toBeCloseTo(1.2, 10);
    expect(deep.body.format).toBe(1);
  });

  it("a server started with --reward uses it; extra_info.reward wins over both", async () => {
    const row = hotpot[5] as HotpotRow; // "YG Entertainment"
    const item = { data_source: "nq", solution_str: `<answer>${row.answer}</answer>`, ground_truth: [row.answer] };
    expect((await call(compositeServer, "/compute_score", item)).body.score).toBeCloseTo(1.2, 10);
    expect((await call(compositeServer, "/compute_score", { ...item, extra_info: { reward: "f1" } })).body.score).toBe(
      1,
    );
    expect((await call(routedServer, "/compute_score", item)).body.score).toBe(1);
  });

  it("batch form {items: [...]} → {results: [...]} in order", async () => {
    const rows = hotpot.slice(10, 16);
    const { status, body } = await call(routedServer, "/compute_score", {
      items: rows.map((row, index) => ({
        data_source: "searchR1_hotpotqa",
        solution_str: `<answer>${index < 3 ? row.answer : "Atlantis"}</answer>`,
        ground_truth: { target: [row.answer] },
      })),
    });
    expect(status).toBe(200);
    const results = body.results as { score: number; em: number }[];
    expect(results.map((result) => result.score)).toEqual([1, 1, 1, 0, 0, 0]);
    expect(results.map((result) => result.em)).toEqual([1, 1, 1, 0, 0, 0]);
  });

  it("the Python verl client example (examples/verl/drkit_reward.py) scores through the server", async () => {
    let python = "";
    try {
      python = execFileSync("python3", ["--version"], { encoding: "utf8" });
    } catch {
      return; // no Python on this machine: nothing to run the client with
    }
    expect(python).toMatch(/Python 3/);
    const row = hotpot[1] as HotpotRow;
    // async: the server runs in this process, so the event loop must stay free
    const { stdout } = await promisify(execFile)(
      "python3",
      ["examples/verl/drkit_reward.py", `<answer>${row.answer}</answer>`, row.answer, "hotpotqa"],
      { encoding: "utf8", env: { ...process.env, DRKIT_REWARD_URL: routedServer.url } },
    );
    expect(JSON.parse(stdout)).toMatchObject({ score: 1, em: 1 });
  });
});

describe("errors", () => {
  it("GET /health reports the reward", async () => {
    const { status, body } = await call(compositeServer, "/health", undefined, "GET");
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: "ok", reward: "deepresearch-r1", compute_score: "deepresearch-r1" });
    expect((await call(routedServer, "/health", undefined, "GET")).body).toMatchObject({
      reward: "search-r1-em",
      compute_score: "by data_source",
    });
  });

  it("400 with a message for bad bodies on both routes", async () => {
    const cases: [string, unknown, RegExp][] = [
      ["/get_reward", "{not json", /must be JSON/],
      ["/get_reward", [1, 2], /invalid reward request/],
      ["/get_reward", { query: "one" }, /query/],
      ["/get_reward", { query: ["a", "b"], labels: ["x"] }, /labels has 1 items but query has 2/],
      ["/get_reward", { query: ["a"], labels: [{ wrong: 1 }] }, /cannot read gold answers/],
      ["/get_reward", { query: Array.from({ length: 51 }, () => "a") }, /at most 50 queries/],
      ["/compute_score", "", /must be JSON/],
      ["/compute_score", 42, /JSON object/],
      ["/compute_score", { data_source: "nq", solution_str: 3, ground_truth: "x" }, /^solution_str: must be a string$/],
      ["/compute_score", { data_source: "nq", solution_str: "x" }, /^ground_truth: required/],
      [
        "/compute_score",
        { data_source: "nq", solution_str: "x", ground_truth: "x", extra_info: { reward: "bleu" } },
        /unknown reward "bleu"/,
      ],
      [
        "/compute_score",
        { data_source: "nq", solution_str: "x", ground_truth: "x", extra_info: { reward: "webdancer" } },
        /needs an LLM judge/,
      ],
      ["/compute_score", { items: [{ data_source: "nq", solution_str: "x", ground_truth: "x" }, {}] }, /items\.1\./],
      [
        "/compute_score",
        { items: Array.from({ length: 51 }, () => ({ data_source: "nq", solution_str: "x", ground_truth: "x" })) },
        /at most 50 items/,
      ],
    ];
    for (const [path, body, message] of cases) {
      const response = await call(emServer, path, body);
      expect(response.status, `${path} ${JSON.stringify(body).slice(0, 200)}`).toBe(400);
      expect(response.body.error).toMatch(message);
    }
  });

  it("400 (not a crash) for labels / ground_truth nested 100,000 deep", async () => {
    const deep = `${"[".repeat(100_000)}"x"${"]".repeat(100_000)}`;
    const bodies: [string, string][] = [
      ["/get_reward", `{"query": ["a"], "labels": [${deep}]}`],
      ["/compute_score", `{"data_source": "nq", "solution_str": "a", "ground_truth": ${deep}}`],
    ];
    for (const [path, body] of bodies) {
      const response = await call(compositeServer, path, body);
      expect(response.status).toBe(400);
      expect(response.body.error).toMatch(/nest too deeply/);
    }
  });

  it("404 unknown route, 405 wrong method (with Allow)", async () => {
    const missing = await call(emServer, "/reward", { query: [] });
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatch(/POST \/get_reward/);
    const wrongMethod = await call(emServer, "/get_reward", undefined, "GET");
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.allow).toBe("POST");
    const health = await call(emServer, "/health", {}, "POST");
    expect(health.status).toBe(405);
    expect(health.allow).toBe("GET, HEAD");
  });

  it("413 for a body over the cap, declared or streamed, and keeps serving", async () => {
    const big = JSON.stringify({ query: ["x".repeat(70 * 1024)], labels: ["x"] });
    const declared = await call(emServer, "/get_reward", big);
    expect(declared.status).toBe(413);
    expect(declared.body.error).toMatch(/too large/);
    const streamed = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(`${emServer.url}/get_reward`, { method: "POST" }, (response) => {
        let text = "";
        response.on("data", (chunk) => {
          text += chunk;
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: text }));
      });
      request.on("error", reject);
      request.write(big.slice(0, 40 * 1024)); // chunked: no Content-Length
      request.end(big.slice(40 * 1024));
    });
    expect(streamed.status).toBe(413);
    expect((await call(emServer, "/health", undefined, "GET")).status).toBe(200);
  });

  it("random JSON bodies never crash it: 200 or 400, and it still answers", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("/get_reward", "/compute_score"), fc.jsonValue(), async (path, value) => {
        const response = await call(emServer, path, JSON.stringify(value));
        expect([200, 400]).toContain(response.status);
      }),
      { numRuns: 60, seed: 7 },
    );
    expect((await call(emServer, "/health", undefined, "GET")).status).toBe(200);
  });

  it("refuses unknown rewards and judge rewards at start", async () => {
    await expect(startRewardServer({ port: 0, reward: "bleu" })).rejects.toThrow(InputError);
    await expect(startRewardServer({ port: 0, reward: "judge" })).rejects.toThrow(/needs an LLM judge/);
  });

  it("close() is graceful: ends keep-alive connections and resolves", async () => {
    const server = await startRewardServer({ port: 0 });
    expect((await call(server, "/health", undefined, "GET")).status).toBe(200);
    await server.close();
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
  });
});
