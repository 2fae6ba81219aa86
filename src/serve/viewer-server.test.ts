import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRAJECTORY_VERSION, type TrajectoryInput } from "../core/trajectory.js";
import { type RunningServer, startViewerServer } from "./viewer-server.js";

function record(index: number, correct: boolean): TrajectoryInput {
  return {
    version: TRAJECTORY_VERSION,
    id: `t${index}`,
    questionId: `q${index}`,
    question:
      index === 1 ? "Which magazine was started first, Arthur's Magazine or First for Women?" : `Question ${index}?`,
    goldAnswers: ["Arthur's Magazine"],
    protocol: "search-r1",
    messages: [{ role: "user", content: "q" }],
    turns: [
      {
        index: 0,
        text: "<think>look it up</think><search>Arthur's Magazine</search>",
        action: "tool",
        toolCalls: [{ id: "c1", name: "search", arguments: { query: ["Arthur's Magazine"] } }],
        observation: "<information>Doc 1(Title: \"Arthur's Magazine\") Arthur's Magazine (1844–1846)</information>",
        usage: { promptTokens: 10, completionTokens: 5 },
        startedAt: new Date(0).toISOString(),
      },
    ],
    tokens: {
      tokenizer: "toy",
      promptIds: [1],
      spans: [
        { source: "model", turn: 0, ids: [4, 5], logprobs: [-0.1, -0.2] },
        { source: "observation", turn: 0, ids: [6] },
      ],
    },
    usage: { llmCalls: 2, toolCalls: 1, totalTokens: 15 },
    timings: { startedAt: new Date(0).toISOString(), durationMs: 12 },
    termination: "answer",
    prediction: correct ? "Arthur's Magazine" : "First for Women",
    reward: { score: correct ? 1 : 0, name: "em", components: { em: correct ? 1 : 0 } },
  };
}

interface Page {
  total: number;
  items: Array<{ id: string } & Record<string, unknown>>;
}

async function getPage(url: string): Promise<Page> {
  return (await (await fetch(url)).json()) as Page;
}

describe("viewer server", () => {
  let server: RunningServer;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "drkit-viewer-"));
    const lines = [record(0, true), record(1, false), record(2, true)].map((r) => JSON.stringify(r));
    // A corrupt line in the middle must not break the viewer.
    lines.splice(1, 0, JSON.stringify({ not: "a trajectory" }));
    // Nor a line that is not JSON, nor a last line still being written.
    lines.splice(2, 0, "{this is not json");
    lines.push(JSON.stringify(record(3, true)).slice(0, 40));
    writeFileSync(join(dir, "trajectories.jsonl"), lines.join("\n"));
    server = await startViewerServer({ path: dir });
  });

  afterAll(async () => {
    await server.close();
  });

  it("lists, filters and pages trajectory summaries", async () => {
    const all = await getPage(`${server.url}/api/trajectories`);
    expect(all.total).toBe(3);
    expect(all.items.map((item: { id: string }) => item.id)).toEqual(["t0", "t1", "t2"]);
    expect(all.items[0]).toMatchObject({ turns: 1, toolCalls: 1, score: 1, correct: true, hasTokens: true });

    const wrong = await getPage(`${server.url}/api/trajectories?outcome=incorrect`);
    expect(wrong.items.map((item: { id: string }) => item.id)).toEqual(["t1"]);

    const searched = await getPage(`${server.url}/api/trajectories?search=FIRST%20FOR`);
    expect(searched.items.map((item: { id: string }) => item.id)).toEqual(["t1"]);

    const paged = await getPage(`${server.url}/api/trajectories?offset=2&limit=1`);
    expect(paged).toMatchObject({ total: 3, items: [{ id: "t2" }] });
    // The three bad lines (another schema, not JSON, half-written) are counted.
    const info = (await (await fetch(`${server.url}/api/info`)).json()) as { total: number; skipped: number };
    expect(info).toMatchObject({ total: 3, skipped: 3 });
  });

  it("returns full records and clear errors", async () => {
    const one = (await (await fetch(`${server.url}/api/trajectories/1`)).json()) as {
      prediction: string;
      tokens: { spans: unknown[] };
    };
    expect(one.prediction).toBe("First for Women");
    expect(one.tokens.spans).toHaveLength(2);

    const missing = await fetch(`${server.url}/api/trajectories/99`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: string }).error).toMatch(/no trajectory at index 99/);

    const bad = await fetch(`${server.url}/api/trajectories?limit=9999`);
    expect(bad.status).toBe(400);

    const post = await fetch(`${server.url}/api/trajectories`, { method: "POST" });
    expect(post.status).toBe(405);

    const page = await fetch(`${server.url}/`);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    expect(await page.text()).toContain("drkit");
  });
});
