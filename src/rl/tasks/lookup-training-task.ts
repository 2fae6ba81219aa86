/** The lookup task as a `TrainingTask` (questions, search environment) plus its SFT demonstrations. */

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

/** Chain-following demonstrations: search the title, then answer the asked field. */
export function lookupDemonstrations(task: LookupTask): Demonstration[] {
  return task.train.map((question) => ({
    question: toRolloutQuestion(question),
    turns: [
      { text: `<search> ${question.query} </search>`, observation: task.observation(question.query, question.id) },
      { text: `<answer> ${question.answer} </answer>` },
    ],
  }));
}
