/**
 * A training task from a question file and a built corpus (`drkit corpus build`): the search action
 * runs BM25 over the corpus and the observation is Search-R1's rendering
 * `Doc k(Title: t) text` inside `<information> … </information>`.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { DataError } from "../../core/errors.js";
import type { Corpus } from "../../corpus/types.js";
import type { TrainingTask } from "../trainer/rl-trainer.js";
import type { RolloutQuestion } from "../trainer/rollout.js";

const QuestionLineSchema = z
  .object({
    id: z.union([z.string(), z.number()]).optional(),
    _id: z.string().optional(),
    question: z.string().min(1),
    answer: z.union([z.string(), z.array(z.string())]).optional(),
    answers: z.array(z.string()).optional(),
    golden_answers: z.array(z.string()).optional(),
  })
  .passthrough();

/** Questions from JSONL: {question, answer | answers | golden_answers, id?}. */
export function readQuestions(path: string): RolloutQuestion[] {
  const out: RolloutQuestion[] = [];
  readFileSync(path, "utf8")
    .split("\n")
    .forEach((line, index) => {
      if (line.trim() === "") return;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (error) {
        throw new DataError(`invalid JSON: ${(error as Error).message}`, { file: path, line: index + 1 });
      }
      const parsed = QuestionLineSchema.safeParse(value);
      if (!parsed.success) {
        throw new DataError(`expected {question, answer}: ${parsed.error.issues[0]?.message}`, {
          file: path,
          line: index + 1,
        });
      }
      const row = parsed.data;
      const golds =
        row.golden_answers ?? row.answers ?? (Array.isArray(row.answer) ? row.answer : row.answer ? [row.answer] : []);
      if (golds.length === 0) throw new DataError("the question has no answer", { file: path, line: index + 1 });
      out.push({ id: String(row.id ?? row._id ?? `q${index + 1}`), question: row.question, goldAnswers: golds });
    });
  if (out.length < 2) throw new DataError("need at least two questions (training and held-out)", { file: path });
  return out;
}

export function renderDocuments(corpus: Corpus, query: string, topk: number): string {
  const hits = corpus.search([query], topk)[0] ?? [];
  const docs = hits.map((hit, k) => `Doc ${k + 1}(Title: ${hit.passage.title}) ${hit.passage.text}`).join("\n");
  return `<information> ${docs || "no results"} </information>`;
}

export function corpusTrainingTask(
  questions: readonly RolloutQuestion[],
  corpus: Corpus,
  options: { topk?: number; heldOutFraction?: number } = {},
): TrainingTask {
  const heldOutCount = Math.max(1, Math.round(questions.length * (options.heldOutFraction ?? 0.1)));
  return {
    name: `corpus:${corpus.name}`,
    train: questions.slice(heldOutCount),
    heldOut: questions.slice(0, heldOutCount),
    environment: (query) => renderDocuments(corpus, query, options.topk ?? 3),
    invalidObservation:
      "<information> invalid action , use <search> query </search> or <answer> text </answer> </information>",
  };
}
