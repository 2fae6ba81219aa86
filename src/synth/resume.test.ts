import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { readJsonlRecords } from "../core/jsonl-store.js";
import { buildCorpus } from "../corpus/build.js";
import type { SynthRecord } from "./types.js";

const home = mkdtempSync(join(tmpdir(), "drkit-synth-resume-"));

function cli(args: string[]) {
  return spawn(process.execPath, ["--import", "tsx", "src/cli/run.ts", "--home", home, ...args], {
    cwd: process.cwd(),
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function finished(
  child: ReturnType<typeof cli>,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  let output = "";
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  return new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal, output })));
}

function lineCount(path: string): number {
  return existsSync(path) ? readFileSync(path, "utf8").split("\n").filter(Boolean).length : 0;
}

const args = (out: string) => [
  "synth",
  "multihop",
  "--from",
  "data/hotpotqa/questions.jsonl",
  "--corpus",
  "hotpotqa",
  "--out",
  out,
  "--limit",
  "30",
  "--quiet",
];

beforeAll(async () => {
  await buildCorpus({ name: "hotpotqa", from: ["data/hotpotqa/corpus.jsonl"], home, quiet: true });
});

describe("drkit synth multihop resume", () => {
  it("loses and duplicates nothing after SIGKILL mid-run", async () => {
    const reference = join(home, "reference.jsonl");
    const whole = await finished(cli(args(reference)));
    expect(whole.code, whole.output).toBe(0);

    const out = join(home, "killed.jsonl");
    const checked = join(`${out}.work`, "checked.jsonl");
    const child = cli(args(out));
    const done = finished(child);
    // Kill once part of the work is on disk.
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (lineCount(checked) >= 12) {
          clearInterval(timer);
          child.kill("SIGKILL");
          resolve();
        } else if (child.exitCode !== null) {
          clearInterval(timer);
          reject(new Error("the run finished before it could be killed"));
        }
      }, 20);
    });
    const killed = await done;
    expect(killed.signal).toBe("SIGKILL");
    const partial = lineCount(checked);
    expect(partial).toBeGreaterThanOrEqual(12);
    expect(partial).toBeLessThan(lineCount(join(`${reference}.work`, "checked.jsonl")));

    const resumed = await finished(cli(args(out)));
    expect(resumed.code, resumed.output).toBe(0);
    const expected = readJsonlRecords<SynthRecord>(reference);
    const actual = readJsonlRecords<SynthRecord>(out);
    expect(actual.map((record) => record.id)).toEqual(expected.map((record) => record.id));
    expect(actual.map((record) => record.question)).toEqual(expected.map((record) => record.question));
    for (const stage of ["chains.jsonl", "items.jsonl", "checked.jsonl"]) {
      const keyOf = (record: Record<string, unknown>) => String(record.id ?? record.sourceId);
      const keys = readJsonlRecords<Record<string, unknown>>(join(`${out}.work`, stage)).map(keyOf);
      expect(new Set(keys).size, stage).toBe(keys.length);
      expect(keys.length, stage).toBe(readJsonlRecords(join(`${reference}.work`, stage)).length);
    }
    expect(readFileSync(out.replace(/\.jsonl$/, ".dr9k.jsonl"), "utf8")).toBe(
      readFileSync(reference.replace(/\.jsonl$/, ".dr9k.jsonl"), "utf8"),
    );
  });

  it("stops on Ctrl-C (SIGINT) with exit 130, keeping what is done", async () => {
    const out = join(home, "interrupted.jsonl");
    const checked = join(`${out}.work`, "checked.jsonl");
    const child = cli(args(out).map((arg) => (arg === "30" ? "400" : arg)));
    const done = finished(child);
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (lineCount(checked) >= 12) {
          clearInterval(timer);
          child.kill("SIGINT");
          resolve();
        } else if (child.exitCode !== null) {
          clearInterval(timer);
          reject(new Error(`the run finished before it could be interrupted (exit ${child.exitCode})`));
        }
      }, 20);
    });
    const interrupted = await done;
    expect(interrupted.code, interrupted.output).toBe(130);
    expect(interrupted.output).toContain("cancelled: run the same command again to resume");
    expect(lineCount(checked)).toBeLessThan(400);
  });
});
