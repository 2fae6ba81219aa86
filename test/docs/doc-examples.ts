/**
 * The doc test: every shell example in README.md and docs/*.md runs, in order, on a fresh clone after the set-up
 * (`npm ci && npm run demo`), except the blocks marked as needing what this machine lacks. A marker is an HTML
 * comment on the line before the fence:
 *
 *   <!-- doc-test: skip <reason> -->         not run (a model server, a GPU, the internet, a key); the reason is listed
 *   <!-- doc-test: long -->                   run only with --long (minutes of training)
 *   <!-- doc-test: serves -->                 runs a server in the foreground: passes when it is still up after 8 s
 *                                             without an error, then gets Ctrl-C (SIGINT)
 *   <!-- doc-test: server <port> <command> --> <command> is started first and the block runs once
 *                                             http://127.0.0.1:<port>/health answers; stopped afterwards
 *
 *   npx tsx test/docs/doc-examples.ts [--long] [--in-place] [--only <file>]
 *
 * By default the repository is cloned (committed files only) into a temporary folder with this checkout's
 * node_modules linked, and the set-up runs there; `--in-place` runs in this checkout (the set-up must have run).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

interface Block {
  file: string;
  line: number;
  code: string;
  marker:
    | { kind: "run" }
    | { kind: "skip"; reason: string }
    | { kind: "long" }
    | { kind: "serves" }
    | {
        kind: "server";
        port: number;
        command: string;
      };
}

const { values } = parseArgs({
  options: {
    long: { type: "boolean", default: false },
    "in-place": { type: "boolean", default: false },
    only: { type: "string" },
  },
});

const repository = resolve(import.meta.dirname, "..", "..");

function markerOf(previousLine: string): Block["marker"] {
  const match = /^<!--\s*doc-test:\s*(\w+)\s*(.*?)\s*-->$/.exec(previousLine.trim());
  if (!match) return { kind: "run" };
  const [, kind, rest = ""] = match;
  if (kind === "skip") return { kind: "skip", reason: rest || "(no reason given)" };
  if (kind === "long") return { kind: "long" };
  if (kind === "serves") return { kind: "serves" };
  if (kind === "server") {
    const server = /^(\d+)\s+(.+)$/.exec(rest);
    if (server) return { kind: "server", port: Number(server[1]), command: server[2] as string };
  }
  throw new Error(`unknown doc-test marker: ${previousLine.trim()}`);
}

/** The sh/bash fenced blocks of one Markdown file, with their markers and first lines. */
export function shellBlocks(file: string, text: string): Block[] {
  const lines = text.split("\n");
  const blocks: Block[] = [];
  for (let index = 0; index < lines.length; index++) {
    const fence = /^```(sh|bash|shell)\s*$/.exec(lines[index] as string);
    if (!fence) continue;
    const end = lines.findIndex((line, at) => at > index && line.startsWith("```"));
    if (end === -1) throw new Error(`${file}:${index + 1}: unclosed code fence`);
    blocks.push({
      file,
      line: index + 1,
      code: lines.slice(index + 1, end).join("\n"),
      marker: markerOf(index > 0 ? (lines[index - 1] as string) : ""),
    });
    index = end;
  }
  return blocks;
}

function documents(root: string): string[] {
  const docs = readdirSync(join(root, "docs"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => join("docs", name));
  return ["README.md", ...docs].filter((file) => !values.only || file === values.only);
}

/**
 * Start a shell in its own process group, so what it leaves running (a server sent to the background, which a
 * non-interactive `kill %1` reaches only through npx's wrapper) can be stopped with the group.
 */
function shell(args: string[], cwd: string, stdout: "pipe" | "ignore" = "pipe"): ChildProcess {
  return spawn("bash", args, { cwd, stdio: ["ignore", stdout, "pipe"], detached: true });
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // the group is gone already
  }
}

async function run(command: string, cwd: string, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  const child = shell(["-e", "-o", "pipefail", "-c", command], cwd);
  const result = await collect(child, timeoutMs);
  signalGroup(child, "SIGTERM");
  return result;
}

function collect(child: ChildProcess, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  let output = "";
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  return new Promise((done) =>
    child.on("exit", (code) => {
      clearTimeout(timer);
      done({ code, output });
    }),
  );
}

async function waitForHealth(port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 200));
  }
  return false;
}

/** A foreground server: up after 8 s with no error, then Ctrl-C (SIGINT to its process group, as a terminal does). */
async function runServes(code: string, cwd: string): Promise<{ ok: boolean; output: string }> {
  const child = shell(["-c", code], cwd);
  const result = collect(child, 30_000);
  await new Promise((resolveWait) => setTimeout(resolveWait, 8_000));
  const stillUp = child.exitCode === null;
  signalGroup(child, "SIGINT");
  const { output } = await result;
  signalGroup(child, "SIGKILL");
  return { ok: stillUp && !/^drkit: /m.test(output), output };
}

async function runWithServer(block: Block & { marker: { kind: "server" } }, cwd: string) {
  const server = shell(["-c", block.marker.command], cwd, "ignore");
  try {
    if (!(await waitForHealth(block.marker.port, 30_000)))
      return { ok: false, output: `the server never answered: ${block.marker.command}` };
    const result = await run(block.code, cwd, 10 * 60_000);
    return { ok: result.code === 0, output: result.output };
  } finally {
    signalGroup(server, "SIGINT");
  }
}

async function main(): Promise<number> {
  let cwd = repository;
  let scratch: string | undefined;
  if (!values["in-place"]) {
    scratch = mkdtempSync(join(tmpdir(), "drkit-doc-test-"));
    cwd = join(scratch, "drkit");
    execFileSync("git", ["clone", "--quiet", repository, cwd]);
    symlinkSync(join(repository, "node_modules"), join(cwd, "node_modules"));
    process.stdout.write(`fresh clone in ${cwd}; set-up: npm run build && npm run demo\n`);
    const setup = await run("npm run build && npm run demo", cwd, 20 * 60_000);
    if (setup.code !== 0) {
      process.stdout.write(`FAIL set-up\n${setup.output.slice(-4000)}\n`);
      return 1;
    }
  }
  const failures: string[] = [];
  const skipped: string[] = [];
  let passed = 0;
  try {
    for (const file of documents(cwd)) {
      for (const block of shellBlocks(file, readFileSync(join(cwd, file), "utf8"))) {
        const where = `${block.file}:${block.line}`;
        if (block.marker.kind === "skip" || (block.marker.kind === "long" && !values.long)) {
          skipped.push(`${where} (${block.marker.kind === "skip" ? block.marker.reason : "long: run with --long"})`);
          continue;
        }
        const started = Date.now();
        const result =
          block.marker.kind === "serves"
            ? await runServes(block.code, cwd)
            : block.marker.kind === "server"
              ? await runWithServer(block as Block & { marker: { kind: "server" } }, cwd)
              : await run(block.code, cwd, 20 * 60_000).then(({ code, output }) => ({ ok: code === 0, output }));
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        if (result.ok) {
          passed += 1;
          process.stdout.write(`ok   ${where} (${seconds} s)\n`);
        } else {
          failures.push(where);
          process.stdout.write(
            `FAIL ${where} (${seconds} s)\n${block.code}\n--- output (tail) ---\n${result.output.slice(-3000)}\n`,
          );
        }
      }
    }
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
  process.stdout.write(
    `\n${passed} blocks ran, ${failures.length} failed${failures.length ? `: ${failures.join(", ")}` : ""}; ${skipped.length} not run:\n` +
      skipped.map((line) => `  ${line}\n`).join(""),
  );
  return failures.length > 0 ? 1 : 0;
}

process.exitCode = await main();
