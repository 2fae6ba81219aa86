/**
 * The `drkit` command line. Each command lives in its own file under src/cli and is registered in
 * `commands.ts`. Errors drkit raises on purpose print their message (which says what to do) without a
 * stack trace; anything else is a bug and prints the stack.
 */
import { Command, CommanderError } from "commander";
import { DrkitError, describeSystemError } from "../core/errors.js";
import { registerCommands } from "./commands.js";

export function buildProgram(): Command {
  const program = new Command("drkit")
    .description("Build, train and evaluate deep-research agents")
    .version("0.1.0")
    .option("--home <dir>", "drkit home for corpora, caches and runs (env DRKIT_HOME, default .drkit)")
    .option("--config <file>", "config file (default ./drkit.config.json or $DRKIT_HOME/config.json)")
    .showHelpAfterError("(add --help to see the options)")
    .exitOverride();
  registerCommands(program);
  return program;
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    // A CLI mistake (unknown option, bad value, missing argument) exits 2; --help and --version exit 0.
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (DrkitError.isInstance(error)) {
      process.stderr.write(`drkit: ${error.message}\n`);
      if (error.code === "cancelled") return 130;
      return error.code === "input" || error.code === "config" || error.code === "data" || error.code === "not-found"
        ? 2
        : 1;
    }
    const system = describeSystemError(error);
    if (system) {
      process.stderr.write(`drkit: ${system.message}\n`);
      return system.exitCode;
    }
    process.stderr.write(`drkit: unexpected error (please report it): ${(error as Error)?.stack ?? String(error)}\n`);
    return 1;
  }
}
