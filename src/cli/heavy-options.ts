/** `--parallel n --aggregate vote|model` (heavy mode) for ask and eval. */
import { AGGREGATE_MODES, type AggregateMode, type HeavyModeOptions } from "../agent/heavy-mode.js";
import { InputError } from "../core/errors.js";
import type { ChatModel } from "../llm/chat-model.js";
import { positiveIntegerOption } from "./context.js";

export const PARALLEL_OPTION = [
  "--parallel <n>",
  "heavy mode: n independent episodes per question, then one answer from them (--aggregate); the record keeps the n episodes",
  positiveIntegerOption("parallel"),
] as const;

export const AGGREGATE_OPTION = [
  "--aggregate <mode>",
  "how --parallel episodes become one answer: vote (majority of normalised answers) or model (the agent model reads their final reports)",
  "vote",
] as const;

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
