/** The lookup task as a `TrainingTask` (questions, its search tool) plus its SFT demonstrations. */

import { z } from "zod";
import type { ProtocolName } from "../../agent/types.js";
import { Random } from "../../core/random.js";
import type { Tool } from "../../tools/tool.js";
import type { TrainingTask } from "../trainer/agent-rollouts.js";
import type { Demonstration } from "../trainer/sft.js";
import { INVALID_OBSERVATION, type LookupQuestion, type LookupTask } from "./lookup-task.js";

function toRolloutQuestion(question: LookupQuestion) {
  return { id: question.id, question: question.question, goldAnswers: [question.answer] };
}

const LookupSearchInput = z.object({ query: z.union([z.string(), z.array(z.string())]) });

/**
 * The task's `search` tool: the top passage for the query, with this episode's field values (the question id
 * comes from the tool context). The protocol wraps it (`<information>` for search-r1, `<tool_response>` for react).
 */
export function lookupSearchTool(task: LookupTask): Tool<z.infer<typeof LookupSearchInput>> {
  return {
    name: "search",
    description: "Look up a title; returns its passage with the fields first, second, third and fourth.",
    inputSchema: LookupSearchInput,
    async execute(input, context) {
      const query = Array.isArray(input.query) ? input.query.join(" ") : input.query;
      const block = task.observation(query, context.questionId);
      return { content: block.replace(/^<information>\s*/, "").replace(/\s*<\/information>$/, "") };
    },
  };
}

export function lookupTrainingTask(task: LookupTask): TrainingTask {
  const search = lookupSearchTool(task) as Tool;
  return {
    name: "lookup",
    train: task.train.map(toRolloutQuestion),
    heldOut: task.heldOut.map(toRolloutQuestion),
    tools: () => [search],
    // The tiny policy reads the question alone (no instructions) and gets the short feedback it was fitted on.
    systemPrompt: "{question}",
    invalidFeedback: INVALID_OBSERVATION,
  };
}

/**
 * Who wrote the demonstrations:
 * - `exact`: search the title, then answer the asked field (every demonstration is correct);
 * - `any-field`: an imperfect teacher that follows the same chain (search the title, answer with a
 *   field value read from the result) but answers with a field chosen at random among the four, so
 *   about a quarter of its answers are right. SFT on it learns the chain and the copying, not which
 *   field the question asks for: that is left for RL.
 */
export type LookupTeacher = "exact" | "any-field";
export const LOOKUP_TEACHERS: readonly LookupTeacher[] = ["exact", "any-field"];

/** The search call a teacher writes under a protocol. */
export function lookupSearchCall(query: string, protocol: ProtocolName): string {
  if (protocol === "search-r1") return `<search> ${query} </search>`;
  return `<tool_call> ${JSON.stringify({ name: "search", arguments: { query } })} </tool_call>`;
}

/** Chain-following demonstrations: search the title, then answer with a field of the result. */
export function lookupDemonstrations(
  task: LookupTask,
  options: { teacher?: LookupTeacher; seed?: number; protocol?: ProtocolName } = {},
): Demonstration[] {
  const random = new Random(options.seed ?? 11);
  return task.train.map((question) => {
    const answer =
      (options.teacher ?? "exact") === "exact"
        ? question.answer
        : (question.fields[random.int(question.fields.length)] as string);
    return {
      question: toRolloutQuestion(question),
      turns: [lookupSearchCall(question.query, options.protocol ?? "search-r1"), `<answer> ${answer} </answer>`],
    };
  });
}
