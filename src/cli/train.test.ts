import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const home = mkdtempSync(join(tmpdir(), "drkit-train-"));
afterAll(() => rmSync(home, { recursive: true, force: true }));

const runDir = join(home, "run");
const args = [
  "--import",
  "tsx",
  "src/cli/run.ts",
  "--home",
  home,
  "train",
  "--algo",
  "grpo",
  "--policy",
  "micro",
  "--entities",
  "8",
  "--steps",
  "6",
  "--prompts-per-step",
  "2",
  "--group-size",
  "2",
  "--eval-every",
  "3",
  "--eval-size",
  "2",
  "--checkpoint-every",
  "2",
  "--seed",
  "3",
  "--quiet",
  "--run-dir",
  runDir,
];

function metricSteps(): number[] {
  const file = join(runDir, "metrics.jsonl");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => (JSON.parse(line) as { step: number }).step);
}

/** Run the dev CLI with `argv`; `watch` may kill the child. Resolves with how it ended and its stderr. */
function spawnCli(
  argv: readonly string[],
  watch?: (child: ChildProcess) => () => void,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (chunk) => {
      stderr += String(chunk);
    });
    const stopWatching = watch?.(child);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      stopWatching?.();
      resolve({ code, signal, stderr });
    });
  });
}

async function runCli(killAfterSteps?: number): Promise<number | null> {
  const { code, signal, stderr } = await spawnCli(
    args,
    killAfterSteps === undefined
      ? undefined
      : (child) => {
          const timer = setInterval(() => {
            if (metricSteps().length >= killAfterSteps) child.kill("SIGKILL");
          }, 50);
          return () => clearInterval(timer);
        },
  );
  if (code !== 0 && signal === null) throw new Error(`drkit train failed (${code}): ${stderr}`);
  return code;
}

describe("drkit train", () => {
  it("resumes after SIGKILL from the last checkpoint with contiguous, unduplicated metrics", async () => {
    const killed = await runCli(3);
    expect(killed).toBeNull(); // killed by the signal
    // A killed run says it was running (the workbench shows it stopped once it stays silent).
    expect(JSON.parse(readFileSync(join(runDir, "status.json"), "utf8")).status).toBe("running");
    const before = metricSteps();
    expect(before.length).toBeGreaterThanOrEqual(3);
    expect(before.length).toBeLessThan(6);
    expect(await runCli()).toBe(0);
    expect(metricSteps()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(JSON.parse(readFileSync(join(runDir, "status.json"), "utf8")).status).toBe("finished");
    const evals = readFileSync(join(runDir, "eval.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((line) => (JSON.parse(line) as { step: number }).step);
    expect(evals).toEqual([0, 3, 6]);
  }, 120_000);

  it("refuses bad flags before creating anything, with a message that says what to use", async () => {
    const cases: [string[], RegExp][] = [
      [["--reward", "nope"], /unknown reward "nope"; choose one of: em, f1/],
      [["--temperature", "0.7"], /--temperature must be 1 for RL/],
      [["--algo", "nope"], /unknown --algo "nope"/],
      [["--asked-fields", "5"], /--asked-fields must be 1, 2, 3 or 4/],
      [["--steps", "-3"], /--steps must be at least 1, got -3/],
      [["--init", "/no/such/checkpoint"], /--init: no checkpoint directory at \/no\/such\/checkpoint/],
      [["--protocol", "nope"], /unknown --protocol "nope"/],
      [["--backend", "tinker"], /--backend tinker trains on your questions/],
    ];
    for (const [flags, message] of cases) {
      const badDir = join(home, `bad-${flags[0]?.replace(/^--/, "")}`);
      const result = await spawnCli([
        "--import",
        "tsx",
        "src/cli/run.ts",
        "--home",
        home,
        "train",
        ...flags,
        "--run-dir",
        badDir,
        "--quiet",
      ]);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(message);
      expect(existsSync(badDir)).toBe(false);
    }
  }, 60_000);
});
