/**
 * A training task from a question file and the agent's real search tools: a built corpus (`drkit corpus
 * build`), a `/retrieve` server or a web provider; under search-r1 the observation is Search-R1's rendering
 * `Doc k(Title: t) text` inside `<information> … </information>`.
 */
import { z } from "zod";
import { DataError } from "../../core/errors.js";
import type { Corpus } from "../../corpus/types.js";
import { readValidatedJsonl } from "../../data/tables.js";
import { CorpusSearchProvider } from "../../tools/search/corpus-provider.js";
import type { SearchProvider } from "../../tools/search/provider.js";
import { SearchTool } from "../../tools/search/search-tool.js";
import type { Tool } from "../../tools/tool.js";
import { VisitTool } from "../../tools/visit-tool.js";
import type { RolloutQuestion, TrainingTask } from "../trainer/agent-rollouts.js";

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
  for (const { value: row, line } of readValidatedJsonl(path, QuestionLineSchema, "{question, answer}")) {
    const golds =
      row.golden_answers ?? row.answers ?? (Array.isArray(row.answer) ? row.answer : row.answer ? [row.answer] : []);
    if (golds.length === 0) throw new DataError("the question has no answer", { file: path, line });
    out.push({ id: String(row.id ?? row._id ?? `q${line}`), question: row.question, goldAnswers: golds });
  }
  if (out.length < 2) throw new DataError("need at least two questions (training and held-out)", { file: path });
  return out;
}

export interface SearchTaskOptions {
  /** Results per search (default: the style's, 3 for search-r1 and 10 otherwise). */
  topk?: number;
  /** Share of the questions held out for evaluation (the first ones). Default 0.1. */
  heldOutFraction?: number;
  /** A local corpus `visit` reads pages from (react / tools protocols); without one no visit tool is offered. */
  corpus?: Corpus;
  /** Give the policy the question alone instead of the protocol's instructions (the tiny in-process policy). */
  questionOnly?: boolean;
}

/**
 * Train on your own questions with the agent's real tools: `search` over any provider (a local corpus,
 * a `/retrieve` server, a web provider) in the protocol's rendering, plus `visit` over a local corpus.
 */
export function searchTrainingTask(
  questions: readonly RolloutQuestion[],
  provider: SearchProvider,
  options: SearchTaskOptions = {},
): TrainingTask {
  const heldOutCount = Math.max(1, Math.round(questions.length * (options.heldOutFraction ?? 0.1)));
  const search = new SearchTool({ provider, ...(options.topk ? { topk: options.topk } : {}) });
  const visit = options.corpus ? new VisitTool({ corpus: options.corpus }) : undefined;
  return {
    name: `search:${provider.name}`,
    train: questions.slice(heldOutCount),
    heldOut: questions.slice(0, heldOutCount),
    tools: (protocol) =>
      protocol === "search-r1"
        ? [search.withStyle("search-r1", options.topk)]
        : [search as Tool, ...(visit ? [visit as Tool] : [])],
    ...(options.questionOnly ? { systemPrompt: "{question}" } : {}),
  };
}

/** `searchTrainingTask` over a built corpus (BM25 search, and visit over its pages). */
export function corpusTrainingTask(
  questions: readonly RolloutQuestion[],
  corpus: Corpus,
  options: Omit<SearchTaskOptions, "corpus"> = {},
): TrainingTask {
  return {
    ...searchTrainingTask(questions, new CorpusSearchProvider(corpus), { ...options, corpus }),
    name: `corpus:${corpus.name}`,
  };
}
