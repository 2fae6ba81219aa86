import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig, resolveEndpoint } from "./config.js";
import { ConfigError, DataError, DrkitError, describeSystemError, InputError } from "./errors.js";
import { JsonlWriter, readJsonlRecords } from "./jsonl-store.js";
import { Random } from "./random.js";
import { flattenTokens, parseTrajectory, TRAJECTORY_VERSION } from "./trajectory.js";

describe("trajectory", () => {
  it("fills defaults and flattens token spans with the observation mask", () => {
    const trajectory = parseTrajectory({
      version: TRAJECTORY_VERSION,
      id: "t1",
      question: "Who?",
      protocol: "search-r1",
      messages: [{ role: "user", content: "Who?" }],
      turns: [],
      usage: {},
      timings: { startedAt: new Date(0).toISOString() },
      termination: "answer",
      prediction: "x",
      tokens: {
        tokenizer: "toy",
        promptIds: [1, 2],
        spans: [
          { source: "model", turn: 0, ids: [5, 6], logprobs: [-0.1, -0.2] },
          { source: "observation", turn: 0, ids: [7, 8, 9] },
          { source: "model", turn: 1, ids: [10], logprobs: [-0.3] },
          { source: "observation", turn: 1, ids: [11] },
        ],
      },
    });
    expect(trajectory.goldAnswers).toEqual([]);
    expect(trajectory.usage.llmCalls).toBe(0);
    const flat = flattenTokens(trajectory.tokens!);
    expect(flat.responseIds).toEqual([5, 6, 7, 8, 9, 10, 11]);
    expect(flat.responseMask).toEqual([1, 1, 0, 0, 0, 1, 0]);
    expect(flat.responseLogprobs).toEqual([-0.1, -0.2, 0, 0, 0, -0.3, 0]);
    expect(flat.lastModelIndex).toBe(5);
  });

  it("rejects a record of another version", () => {
    expect(() => parseTrajectory({ version: 2 })).toThrow();
  });
});

describe("errors", () => {
  it("marks drkit errors across copies and formats file:line", () => {
    const error = new DataError("bad row", { file: "a.jsonl", line: 3 });
    expect(error.message).toBe("a.jsonl:3: bad row");
    expect(DrkitError.isInstance(error)).toBe(true);
    expect(DrkitError.isInstance(new Error("x"))).toBe(false);
    expect(new InputError("x").code).toBe("input");
  });
});

describe("jsonl store", () => {
  it("repairs a torn final line and keeps appending", () => {
    const dir = mkdtempSync(join(tmpdir(), "drkit-jsonl-"));
    const path = join(dir, "out.jsonl");
    const writer = new JsonlWriter(path);
    writer.append({ id: 1 });
    writer.append({ id: 2 });
    writer.close();
    appendFileSync(path, '{"id": 3, "tor');
    expect(readJsonlRecords(path)).toEqual([{ id: 1 }, { id: 2 }]);
    const again = new JsonlWriter(path);
    again.append({ id: 3 });
    again.close();
    expect(readJsonlRecords<{ id: number }>(path).map((r) => r.id)).toEqual([1, 2, 3]);
    expect(readFileSync(path, "utf8").endsWith("\n")).toBe(true);
  });

  it("reports a corrupt middle line with file:line", () => {
    const dir = mkdtempSync(join(tmpdir(), "drkit-jsonl-"));
    const path = join(dir, "bad.jsonl");
    writeFileSync(path, '{"a":1}\nnot json\n{"a":2}\n');
    expect(() => readJsonlRecords(path)).toThrow(`${path}:2`);
  });
});

describe("config", () => {
  it("layers file, environment and overrides", () => {
    const dir = mkdtempSync(join(tmpdir(), "drkit-config-"));
    writeFileSync(join(dir, "drkit.config.json"), JSON.stringify({ model: { model: "file-model", temperature: 0.3 } }));
    const config = loadConfig({
      cwd: dir,
      env: { OPENAI_BASE_URL: "http://127.0.0.1:9/v1", DRKIT_JUDGE_MODEL: "judge-model" },
      overrides: { model: { model: "flag-model" } },
    });
    expect(config.model.model).toBe("flag-model");
    expect(config.model.temperature).toBe(0.3);
    expect(config.model.baseUrl).toBe("http://127.0.0.1:9/v1");
    expect(config.home).toBe(join(dir, ".drkit"));
    const judge = resolveEndpoint(config, "judge");
    expect(judge.model).toBe("judge-model");
    expect(judge.baseUrl).toBe("http://127.0.0.1:9/v1");
  });

  it("explains invalid values", () => {
    const dir = mkdtempSync(join(tmpdir(), "drkit-config-"));
    writeFileSync(join(dir, "drkit.config.json"), JSON.stringify({ model: { temperature: 9 } }));
    expect(() => loadConfig({ cwd: dir, env: {} })).toThrow(ConfigError);
    expect(() => loadConfig({ cwd: dir, env: {} })).toThrow(/model.temperature/);
  });
});

describe("random", () => {
  it("is reproducible by seed", () => {
    const a = new Random(7);
    const b = new Random(7);
    const seqA = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(seqA);
    expect(new Set(new Random(1).shuffle([1, 2, 3, 4, 5]))).toEqual(new Set([1, 2, 3, 4, 5]));
  });
});

describe("withoutCredentials", () => {
  it("drops user and password from URLs that are stored", async () => {
    const { withoutCredentials } = await import("./redact.js");
    expect(withoutCredentials("http://user:s3cret@10.0.0.5:8000/v1")).toBe("http://10.0.0.5:8000/v1");
    expect(withoutCredentials("https://token@api.example.com/v1")).toBe("https://api.example.com/v1");
    expect(withoutCredentials("http://127.0.0.1:8000/v1")).toBe("http://127.0.0.1:8000/v1");
    expect(withoutCredentials("not a url //me:pw@host")).toBe("not a url //host");
  });
});

describe("system errors a user can fix", () => {
  it("a full disk (a real ENOSPC from /dev/full) reads as one line that says the disk is full", () => {
    let caught: unknown;
    try {
      writeFileSync("/dev/full", "{}\n");
    } catch (error) {
      caught = error;
    }
    expect((caught as { code?: string }).code).toBe("ENOSPC");
    expect(describeSystemError(caught)).toEqual({
      message: "the disk is full: free some space and run the same command again; what was written before is kept",
      exitCode: 1,
    });
  });
  it("a directory read as a file, a missing file and other errors", () => {
    let directory: unknown;
    try {
      readFileSync(tmpdir());
    } catch (error) {
      directory = error;
    }
    expect(describeSystemError(directory)?.exitCode).toBe(2);
    expect(describeSystemError(directory)?.message).toContain("a directory was given where a file is expected");
    let missing: unknown;
    try {
      readFileSync(join(tmpdir(), "drkit-no-such-file"));
    } catch (error) {
      missing = error;
    }
    expect(describeSystemError(missing)?.message).toMatch(/^no such file or directory: .*drkit-no-such-file$/);
    expect(describeSystemError(new Error("plain"))).toBeUndefined();
  });
});
