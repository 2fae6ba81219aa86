/** Shared CLI helpers: config from the global flags, and output. */
import { type Command, InvalidArgumentError } from "commander";
import { type Config, type ConfigInput, type DeepPartial, loadConfig } from "../core/config.js";

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
