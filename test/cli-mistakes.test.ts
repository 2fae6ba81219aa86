/**
 * Ordinary mistakes a new user makes get one clear line and exit 2, never a stack trace or a hang: a busy port (also
 * with --workers), a directory where a file goes. Run as real processes, as a user runs them.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCorpus } from "../src/corpus/build.js";

const home = mkdtempSync(join(tmpdir(), "drkit-cli-mistakes-"));
let busy: Server;
let busyPort = 0;

function drkit(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/run.ts", "--home", home, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  return new Promise((resolve) =>
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

beforeAll(async () => {
  await buildCorpus({ name: "hotpotqa", from: ["data/hotpotqa/corpus.jsonl"], home, quiet: true });
  busy = createServer((_request, response) => response.end("taken"));
  await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
  busyPort = (busy.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => busy.close(() => resolve())));

describe("one line and exit 2 for user mistakes", () => {
  it("serve retrieval --workers 2 on a busy port stops with one line instead of restarting workers forever", async () => {
    const result = await drkit([
      "serve",
      "retrieval",
      "--corpus",
      "hotpotqa",
      "--port",
      String(busyPort),
      "--workers",
      "2",
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toEqual([`drkit: port ${busyPort} is in use: pass another --port`]);
  });

  it("view on a busy port", async () => {
    const result = await drkit(["view", "examples/eval-run", "--port", String(busyPort)]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(
      `drkit: 127.0.0.1:${busyPort} is already in use: pass another --port, or stop the other server`,
    );
  });

  it("a directory given to --out or --in", async () => {
    const out = await drkit([
      "synth",
      "multihop",
      "--from",
      "data/hotpotqa/questions.jsonl",
      "--corpus",
      "hotpotqa",
      "--out",
      home,
      "--limit",
      "1",
      "--quiet",
    ]);
    expect(out.code).toBe(2);
    expect(out.stderr).not.toContain("unexpected error");
    expect(out.stderr.trim().split("\n")).toHaveLength(1);
    const input = await drkit([
      "collect",
      "export",
      "--in",
      "data",
      "--format",
      "sft-chatml",
      "--out",
      join(home, "x"),
    ]);
    expect(input.code).toBe(2);
    expect(input.stderr.trim()).toMatch(/^drkit: .*directory/);
  });
});
