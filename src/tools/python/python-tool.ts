/**
 * `python`: run Python code in a sandbox and return stdout, stderr and the value of the last expression. CPython
 * runs as WebAssembly (Pyodide, from npm, offline) in a separate Node process started for each call, under Node's
 * permission model (reads of the Pyodide package only, no writes, no child processes or workers), with Node's network
 * entry points disabled and an empty environment. The call is killed past its time limit or when the process's
 * resident memory passes the cap. A fresh process per call keeps episodes apart (no state carries over).
 */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import type { Tool, ToolContext, ToolOutput } from "../tool.js";
import { SANDBOX_SCRIPT } from "./sandbox-script.js";

export interface PythonToolOptions {
  /** Wall clock per call, Pyodide's start (~2 s) included. Default 30 s. */
  timeoutMs?: number;
  /** Resident memory cap of the sandbox process in MiB (Linux: read from /proc). Default 1024. */
  memoryMiB?: number;
  /** Characters of stdout / stderr kept each. Default 20,000. */
  maxOutputChars?: number;
}

export const PYTHON_INPUT = z.object({
  code: z
    .string()
    .min(1)
    .describe("Python 3 code; print what you need, the value of the last expression is returned too"),
});
export type PythonInput = z.infer<typeof PYTHON_INPUT>;

interface SandboxReply {
  stdout: string;
  stderr: string;
  result: string | null;
  error: string | null;
}

function pyodideEntry(): { url: string; folder: string } {
  const path = createRequire(import.meta.url).resolve("pyodide/pyodide.mjs");
  return { url: pathToFileURL(path).href, folder: dirname(path) };
}

async function residentMiB(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const kib = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
    return kib ? Number(kib) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

function cap(text: string, limit: number): string {
  return text.length > limit ? `${text.slice(0, limit)}\n[… ${text.length - limit} more characters]` : text;
}

export class PythonTool implements Tool<PythonInput> {
  readonly name = "python";
  readonly description =
    "Run Python 3 code (standard library only; no network, no files of the host) and get its printed output and the value of its last expression. Use it for arithmetic, counting, dates and parsing text.";
  readonly inputSchema = PYTHON_INPUT;
  private readonly timeoutMs: number;
  private readonly memoryMiB: number;
  private readonly maxOutputChars: number;

  constructor(options: PythonToolOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.memoryMiB = options.memoryMiB ?? 1024;
    this.maxOutputChars = options.maxOutputChars ?? 20_000;
  }

  async execute(input: PythonInput, context: ToolContext): Promise<ToolOutput> {
    const outcome = await this.run(input.code, context.signal);
    if (typeof outcome === "string") return { content: `Error: ${outcome}`, isError: true };
    const sections = [
      outcome.stdout ? `[stdout]\n${cap(outcome.stdout, this.maxOutputChars)}` : "",
      outcome.stderr ? `[stderr]\n${cap(outcome.stderr, this.maxOutputChars)}` : "",
      outcome.error ? `[error]\n${cap(outcome.error, this.maxOutputChars)}` : "",
      outcome.result !== null ? `[result]\n${cap(outcome.result, this.maxOutputChars)}` : "",
    ].filter(Boolean);
    return {
      content: sections.length > 0 ? sections.join("\n") : "[no output: print values or end with an expression]",
      isError: outcome.error !== null,
    };
  }

  /** The sandbox's reply, or why there is none (time, memory, a crash). */
  private run(code: string, signal: AbortSignal | undefined): Promise<SandboxReply | string> {
    const pyodide = pyodideEntry();
    const child = spawn(
      process.execPath,
      [
        "--no-warnings",
        "--experimental-permission",
        `--allow-fs-read=${pyodide.folder}/*`,
        `--max-old-space-size=${Math.max(64, Math.floor(this.memoryMiB / 2))}`,
        "--input-type=module",
        "--eval",
        SANDBOX_SCRIPT,
        pyodide.url,
      ],
      { env: {}, stdio: ["pipe", "pipe", "pipe"] },
    );
    return new Promise((resolve) => {
      let stdout = "";
      let stderr = "";
      let verdict: string | undefined;
      const stop = (reason: string) => {
        verdict ??= reason;
        child.kill("SIGKILL");
      };
      const timer = setTimeout(
        () => stop(`the code ran past ${this.timeoutMs / 1000} s and was stopped`),
        this.timeoutMs,
      );
      const watch = setInterval(async () => {
        const used = child.pid ? await residentMiB(child.pid) : undefined;
        if (used !== undefined && used > this.memoryMiB)
          stop(`the code used more than ${this.memoryMiB} MiB of memory and was stopped`);
      }, 100);
      const onAbort = () => stop("cancelled");
      signal?.addEventListener("abort", onAbort, { once: true });
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString("utf8");
      });
      child.stderr.on("data", (chunk: Buffer) => {
        if (stderr.length < 10_000) stderr += chunk.toString("utf8");
      });
      child.on("close", (exitCode) => {
        clearTimeout(timer);
        clearInterval(watch);
        signal?.removeEventListener("abort", onAbort);
        if (verdict) return resolve(verdict);
        const line = stdout.trim().split("\n").at(-1) ?? "";
        try {
          resolve(JSON.parse(line) as SandboxReply);
        } catch {
          resolve(
            `the sandbox stopped (exit ${exitCode}) without a result${stderr ? `: ${stderr.trim().split("\n").at(-1)}` : ""}`,
          );
        }
      });
      child.stdin.on("error", () => undefined);
      child.stdin.end(code);
    });
  }
}
