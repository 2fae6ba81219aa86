/** The lookup task as a `TrainingTask` (questions, search environment) plus its SFT demonstrations. */

import { Random } from "../../core/random.js";
import type { TrainingTask } from "../trainer/rl-trainer.js";
import type { Demonstration } from "../trainer/sft.js";
import { INVALID_OBSERVATION, type LookupQuestion, type LookupTask } from "./lookup-task.js";

function toRolloutQuestion(question: LookupQuestion) {
  return { id: question.id, question: question.question, goldAnswers: [question.answer] };
}

export function lookupTrainingTask(task: LookupTask): TrainingTask {
  return {
    name: "lookup",
    train: task.train.map(toRolloutQuestion),
    heldOut: task.heldOut.map(toRolloutQuestion),
    environment: (query, question) => task.observation(query, question.id),
    invalidObservation: INVALID_OBSERVATION,
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

/** Chain-following demonstrations: search the title, then answer with a field of the result. */
export function lookupDemonstrations(
  task: LookupTask,
  options: { teacher?: LookupTeacher; seed?: number } = {},
): Demonstration[] {
  const random = new Random(options.seed ?? 11);
  return task.train.map((question) => {
    const answer =
      (options.teacher ?? "exact") === "exact"
        ? question.answer
        : (question.fields[random.int(question.fields.length)] as string);
    return {
      question: toRolloutQuestion(question),
      turns: [
        { text: `<search> ${question.query} </search>`, observation: task.observation(question.query, question.id) },
        { text: `<answer> ${answer} </answer>` },
      ],
    };
  });
}
