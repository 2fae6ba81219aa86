/**
 * Score predictions from any system against a benchmark's gold answers (`drkit score`): per-item string
 * metrics and the aggregate over every gold question (a missing prediction scores 0, as in the official
 * HotpotQA / SQuAD scripts).
 */

import pLimit from "p-limit";
import { DataError } from "../core/errors.js";
import type { Verdict } from "../core/trajectory.js";
import type { Question } from "../data/question.js";
import { readTable, type TableFormat } from "../data/tables.js";
import { type ExtractionStyle, extractAnswer } from "../reward/extract.js";
import { type StringMetric, stringMetrics } from "../reward/normalize.js";
import type { AnswerJudge } from "../reward/rewards.js";

export interface PredictionRecord {
  id: string;
  prediction: string | null;
}

export interface ScoredItem {
  id: string;
  /** The judge's verdict, when scored with a judge. */
  verdict?: Verdict;
  prediction: string | null;
  golds: string[];
  level?: string;
  source?: string;
  scores: Record<string, number>;
  missing: boolean;
}

export interface ScoreReport {
  metrics: StringMetric[];
  /** Gold questions scored. */
  count: number;
  /** Gold questions with no prediction (scored 0). */
  missing: number;
  /** Predictions whose id is not in the gold set (ignored). */
  unknownIds: string[];
  aggregate: Record<string, number>;
  byLevel: Record<string, Record<string, number>>;
  bySource: Record<string, Record<string, number>>;
  items: ScoredItem[];
  /** With a judge: accuracy over decided verdicts, errors (unscored) and disagreements with EM. */
  judge?: { name: string; accuracy: number; decided: number; errors: number; disagreements: string[] };
}

const ID_FIELDS = ["id", "questionId", "question_id", "qid", "_id", "task_id"];
const PREDICTION_FIELDS = ["prediction", "pred", "predicted_answer", "answer", "output", "response"];

/**
 * Read predictions: jsonl/json/csv/parquet rows `{id, prediction}` (also questionId / pred / answer …, and
 * drkit trajectories). With `extraction`, the answer is pulled out of `<answer>` tags in the text. When the
 * same id appears several times (k samples) the first record is scored.
 */
export async function readPredictions(
  path: string,
  options: { format?: TableFormat; extraction?: ExtractionStyle } = {},
): Promise<PredictionRecord[]> {
  const rows = await readTable(path, options.format);
  return rows.map(({ row, value }) => {
    const idField = ID_FIELDS.find((field) => value[field] !== undefined && value[field] !== null);
    if (!idField) throw new DataError(`no id field (one of ${ID_FIELDS.join(", ")})`, { file: path, line: row });
    const predictionField = PREDICTION_FIELDS.find((field) => field in value);
    if (!predictionField)
      throw new DataError(`no prediction field (one of ${PREDICTION_FIELDS.join(", ")})`, { file: path, line: row });
    const raw = value[predictionField];
    if (raw !== null && typeof raw !== "string" && typeof raw !== "number" && typeof raw !== "boolean")
      throw new DataError(`"${predictionField}" must be a string or null`, { file: path, line: row });
    const text = raw === null ? null : String(raw);
    return {
      id: String(value[idField]),
      prediction: text !== null && options.extraction ? extractAnswer(text, options.extraction) : text,
    };
  });
}

function average(items: readonly ScoredItem[], metrics: readonly StringMetric[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const metric of metrics)
    out[metric] = items.length ? items.reduce((sum, item) => sum + (item.scores[metric] ?? 0), 0) / items.length : 0;
  return out;
}

function groupAverage(items: readonly ScoredItem[], key: "level" | "source", metrics: readonly StringMetric[]) {
  const groups = new Map<string, ScoredItem[]>();
  for (const item of items) {
    const value = item[key];
    if (value === undefined) continue;
    groups.set(value, [...(groups.get(value) ?? []), item]);
  }
  const out: Record<string, Record<string, number>> = {};
  for (const name of [...groups.keys()].sort()) {
    const group = groups.get(name) ?? [];
    out[name] = { ...average(group, metrics), count: group.length };
  }
  return out;
}

export function scorePredictions(
  predictions: readonly PredictionRecord[],
  questions: readonly Question[],
  metrics: readonly StringMetric[] = ["em", "f1", "cover_em"],
): ScoreReport {
  const byId = new Map<string, PredictionRecord>();
  for (const prediction of predictions) if (!byId.has(prediction.id)) byId.set(prediction.id, prediction);
  const goldIds = new Set(questions.map((question) => question.id));
  const items: ScoredItem[] = questions.map((question) => {
    const record = byId.get(question.id);
    const prediction = record?.prediction ?? null;
    return {
      id: question.id,
      prediction,
      golds: question.goldAnswers,
      ...(question.level !== undefined ? { level: question.level } : {}),
      source: question.source,
      scores: stringMetrics(prediction, question.goldAnswers, metrics),
      missing: record === undefined,
    };
  });
  const distinctSources = new Set(items.map((item) => item.source));
  return {
    metrics: [...metrics],
    count: items.length,
    missing: items.filter((item) => item.missing).length,
    unknownIds: [...byId.keys()].filter((id) => !goldIds.has(id)),
    aggregate: average(items, metrics),
    byLevel: groupAverage(items, "level", metrics),
    bySource: distinctSources.size > 1 ? groupAverage(items, "source", metrics) : {},
    items,
  };
}

/**
 * Add LLM-judge verdicts to a score report (items with a prediction; a missing prediction is wrong). A
 * judge error is counted as neither right nor wrong.
 */
export async function judgeScoreReport(
  report: ScoreReport,
  questions: readonly Question[],
  judge: AnswerJudge,
  concurrency = 4,
): Promise<ScoreReport> {
  const byId = new Map(questions.map((question) => [question.id, question]));
  const limit = pLimit(Math.max(1, concurrency));
  const items = await Promise.all(
    report.items.map((item) =>
      limit(async (): Promise<ScoredItem> => {
        if (item.prediction === null) return item;
        const question = byId.get(item.id);
        const verdict = await judge.judge({
          question: question?.question ?? "",
          prediction: item.prediction,
          golds: item.golds,
        });
        return { ...item, verdict };
      }),
    ),
  );
  let correct = 0;
  let decided = 0;
  let errors = 0;
  const disagreements: string[] = [];
  for (const item of items) {
    if (item.prediction === null) {
      decided += 1;
      continue;
    }
    if (!item.verdict || item.verdict.status === "error" || item.verdict.correct === null) {
      errors += 1;
      continue;
    }
    decided += 1;
    if (item.verdict.correct) correct += 1;
    if (item.scores.em !== undefined && (item.scores.em === 1) !== item.verdict.correct) disagreements.push(item.id);
  }
  return {
    ...report,
    items,
    judge: { name: judge.name, accuracy: decided ? correct / decided : 0, decided, errors, disagreements },
  };
}
