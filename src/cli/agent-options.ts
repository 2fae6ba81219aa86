/**
 * The agent options `ask` and `eval` share: context strategies (`--keep-tool-results`, `--summarize-at`), heavy mode
 * (`--parallel`, `--aggregate`) and the extra tools (`--scholar`, `--python`, `--read-file`).
 */
import type { Command } from "commander";
import { AGGREGATE_MODES, type AggregateMode, type HeavyModeOptions } from "../agent/heavy-mode.js";
import { InputError } from "../core/errors.js";
import type { ChatModel } from "../llm/chat-model.js";
import { positiveIntegerOption } from "./context.js";

export interface AgentFlags {
  keepToolResults?: number;
  summarizeAt?: number;
  scholar?: boolean;
  parallel?: number;
  aggregate: string;
  python?: boolean;
  readFile?: string[];
}

export function addAgentOptions(command: Command): Command {
  return command
    .option(
      "--keep-tool-results <k>",
      "context strategy keep-last-k: the model sees only the k most recent tool results in full (older ones become a placeholder; the trajectory keeps them)",
      positiveIntegerOption("keep-tool-results"),
    )
    .option(
      "--summarize-at <tokens>",
      "context strategy summarize (ReSum): past this context size a summariser condenses the history and the episode restarts from the question and the summary (config.summarizer / DRKIT_SUMMARIZER_MODEL, else the agent model)",
      positiveIntegerOption("summarize-at"),
    )
    .option("--scholar", "also offer google_scholar (Serper's scholar search; SERPER_API_KEY)")
    .option(
      "--parallel <n>",
      "heavy mode: n independent episodes per question, then one answer from them (--aggregate); the record keeps the n episodes",
      positiveIntegerOption("parallel"),
    )
    .option(
      "--aggregate <mode>",
      "how --parallel episodes become one answer: vote (majority of normalised answers) or model (the agent model reads their final reports)",
      "vote",
    )
    .option(
      "--python",
      "also offer python: code in a sandbox (Pyodide; no network, no host files, time and memory caps)",
    )
    .option(
      "--read-file <dir...>",
      "also offer read_file over these folders (pdf, docx, xlsx, csv, pptx, text); questions with attached files (GAIA, --attach) get it for their files' folders anyway",
    );
}

/** keep-last-k and summarize are two ways of shrinking the context: one per run. */
export function checkContextOptions(options: { keepToolResults?: number; summarizeAt?: number }): void {
  if (options.keepToolResults && options.summarizeAt)
    throw new InputError("--keep-tool-results and --summarize-at are two context strategies: give one");
}

/** Heavy-mode settings from the flags, or undefined for plain episodes (no --parallel, or 1). */
export function heavyModeFrom(
  options: { parallel?: number; aggregate: string },
  aggregator: ChatModel,
): HeavyModeOptions | undefined {
  if (!AGGREGATE_MODES.includes(options.aggregate as AggregateMode))
    throw new InputError(`--aggregate must be ${AGGREGATE_MODES.join(" or ")}, not "${options.aggregate}"`);
  if (!options.parallel || options.parallel < 2) return undefined;
  return { parallel: options.parallel, aggregate: options.aggregate as AggregateMode, aggregator };
}
