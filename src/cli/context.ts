/** Shared CLI helpers: config from the global flags, and output. */
import { type Command, InvalidArgumentError } from "commander";
import { type Config, type ConfigInput, type DeepPartial, loadConfig } from "../core/config.js";
import { InputError } from "../core/errors.js";
import type { RequestGuardOptions } from "../serve/request-guard.js";

/** Load the config using the program-level `--home` / `--config` flags plus per-command overrides. */
export function configFrom(command: Command, overrides: DeepPartial<ConfigInput> = {}): Config {
  const root = command.optsWithGlobals() as { home?: string; config?: string };
  const merged: DeepPartial<ConfigInput> = { ...overrides, ...(root.home ? { home: root.home } : {}) };
  return loadConfig({ file: root.config, overrides: merged });
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Parse an integer flag value or throw a clear message. */
export function integerOption(name: string): (value: string) => number {
  return (value: string) => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed)) throw new InvalidArgumentError(`--${name} must be a whole number, got "${value}"`);
    return parsed;
  };
}

/** A whole number of at least 1 (`--limit`, counts). */
export function positiveIntegerOption(name: string): (value: string) => number {
  return (value: string) => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 1)
      throw new InvalidArgumentError(`--${name} must be a whole number of at least 1, got "${value}"`);
    return parsed;
  };
}

export function numberOption(name: string): (value: string) => number {
  return (value: string) => {
    const parsed = Number(value);
    if (!Number.isFinite(parsed)) throw new InvalidArgumentError(`--${name} must be a number, got "${value}"`);
    return parsed;
  };
}

/** `--allow-host` / `--allow-origin` for the local servers (see src/serve/request-guard.ts). */
export function addRequestGuardOptions(command: Command): Command {
  return command
    .option(
      "--allow-host <name...>",
      "also answer requests whose Host is this name (loopback names always pass; a guard against DNS rebinding)",
    )
    .option(
      "--allow-origin <origin...>",
      "let browser pages from this origin (e.g. http://localhost:3000, or *) call the server; others are refused",
    );
}

export function requestGuardFrom(options: { allowHost?: string[]; allowOrigin?: string[] }): RequestGuardOptions {
  return { allowedHosts: options.allowHost ?? [], allowedOrigins: options.allowOrigin ?? [] };
}

/** `--engine` and the opt-in `--max-postings` budget of the commands that search a corpus. */
export function addSearchEngineOptions(command: Command): Command {
  return command
    .option(
      "--engine <engine>",
      "auto (the search index when the corpus has one, else FTS5), lance (the index) or fts5 (SQLite FTS5, exact)",
      "auto",
    )
    .option(
      "--max-postings <n>",
      "FTS5 with a postings budget: keep only the rarest query terms within n postings (fast, loses recall at scale)",
      integerOption("max-postings"),
    );
}

/** The corpus open options of those flags; a postings budget prints what it costs. */
export function searchEngineFrom(options: { engine: string; maxPostings?: number }): {
  engine: "auto" | "lance" | "fts5";
  query: { maxPostings?: number };
} {
  if (options.engine !== "auto" && options.engine !== "lance" && options.engine !== "fts5")
    throw new InputError(`--engine must be auto, lance or fts5, got "${options.engine}"`);
  if (options.maxPostings !== undefined && options.maxPostings < 0)
    throw new InputError("--max-postings must be 0 (no budget) or more");
  if (options.maxPostings)
    process.stderr.write(
      `drkit: --max-postings ${options.maxPostings} searches with FTS5 and drops the commonest query terms: on 1M passages ` +
        "a budget of 1,000 found a gold passage in the top 10 for 60% of HotpotQA questions against 96% exact (docs/corpus.md)\n",
    );
  return {
    engine: options.engine,
    query: options.maxPostings !== undefined ? { maxPostings: options.maxPostings } : {},
  };
}
