/**
 * Metrics over repeated runs (reference rewards-and-judges.md §4), as pure functions:
 * Pass@1 per run, Avg@k, unbiased Pass@k, Best Pass@1, Cons@k (majority vote of normalised answers),
 * breakdowns by level / source, agent statistics, judge-vs-EM disagreements, SimpleQA three-way rates and
 * BrowseComp calibration error.
 *
 * An item whose correctness is unknown (`correct: null`, a judge failure) is never counted as right or
 * wrong: it is left out of every accuracy denominator and counted in `unscored`.
 */
import { normalizeAnswer } from "../reward/normalize.js";

export interface ItemResult {
  questionId: string;
  /** Rollout index (0-based). */
  sample: number;
  /** Judged / matched correctness; null = unknown (judge error). */
  correct: boolean | null;
  prediction: string | null;
  level?: string;
  source?: string;
  turns: number;
  toolCalls: number;
  tokens: number;
  costUsd: number;
  durationMs: number;
  termination: string;
  /** String-match scores, when computed. */
  em?: number;
  f1?: number;
  /** Three-way grade (SimpleQA): correct / incorrect / not_attempted. */
  grade?: string;
  /** Stated confidence 0-100 (BrowseComp grader). */
  confidence?: number;
}

/** log C(n, k) free product form of 1 − C(n−c, k)/C(n, k) (Chen et al. 2021). */
export function passAtKUnbiased(n: number, c: number, k: number): number {
  if (k > n) throw new RangeError(`pass@${k} needs at least ${k} samples per question, got ${n}`);
  if (n - c < k) return 1;
  let product = 1;
  for (let i = n - c + 1; i <= n; i++) product *= 1 - k / i;
  return 1 - product;
}

export interface QuestionTally {
  questionId: string;
  level?: string;
  source?: string;
  /** Scored samples (correct not null). */
  n: number;
  /** Correct samples. */
  c: number;
  /** Samples with unknown correctness. */
  unscored: number;
  /** Majority-vote correctness (Cons@k), null when nothing was scored. */
  consensus: boolean | null;
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** Majority vote over normalised predictions; ties go to the answer seen first (lowest sample). */
export function majorityVote(items: readonly ItemResult[]): ItemResult | undefined {
  const ordered = [...items].sort((a, b) => a.sample - b.sample);
  const counts = new Map<string, { count: number; first: ItemResult }>();
  for (const item of ordered) {
    if (item.prediction === null || item.prediction.trim() === "") continue;
    const key = normalizeAnswer(item.prediction);
    const entry = counts.get(key);
    if (entry) entry.count += 1;
    else counts.set(key, { count: 1, first: item });
  }
  let best: { count: number; first: ItemResult } | undefined;
  for (const entry of counts.values()) if (!best || entry.count > best.count) best = entry;
  return best?.first;
}

export function tallyQuestions(items: readonly ItemResult[]): QuestionTally[] {
  const groups = new Map<string, ItemResult[]>();
  for (const item of items) {
    const group = groups.get(item.questionId);
    if (group) group.push(item);
    else groups.set(item.questionId, [item]);
  }
  return [...groups.entries()].map(([questionId, group]) => {
    const scored = group.filter((item) => item.correct !== null);
    const voted = majorityVote(scored);
    return {
      questionId,
      ...(group[0]?.level !== undefined ? { level: group[0].level } : {}),
      ...(group[0]?.source !== undefined ? { source: group[0].source } : {}),
      n: scored.length,
      c: scored.filter((item) => item.correct === true).length,
      unscored: group.length - scored.length,
      consensus: scored.length === 0 ? null : voted ? voted.correct === true : false,
    };
  });
}

export interface AccuracyMetrics {
  questions: number;
  items: number;
  unscored: number;
  /** Largest sample count k over questions. */
  k: number;
  /** Accuracy of each run r (samples with index r), in run order. */
  pass1PerRun: number[];
  /** Pass@1 of the first run. */
  pass1: number;
  /** mean over questions of c/n (= mean of per-run accuracies when complete). */
  avgAtK: number;
  bestPass1: number;
  /** Unbiased Pass@j for j = 1..k (only over questions with ≥ j scored samples). */
  passAtK: Record<string, number>;
  /** Majority-vote accuracy. */
  consAtK: number;
}

export function accuracyMetrics(items: readonly ItemResult[]): AccuracyMetrics {
  const tallies = tallyQuestions(items);
  const scoredTallies = tallies.filter((tally) => tally.n > 0);
  const runs = [...new Set(items.map((item) => item.sample))].sort((a, b) => a - b);
  const pass1PerRun = runs.map((run) => {
    const scored = items.filter((item) => item.sample === run && item.correct !== null);
    return mean(scored.map((item) => (item.correct ? 1 : 0)));
  });
  const k = Math.max(0, ...tallies.map((tally) => tally.n));
  const passAtK: Record<string, number> = {};
  for (let j = 1; j <= k; j++) {
    const eligible = scoredTallies.filter((tally) => tally.n >= j);
    passAtK[String(j)] = mean(eligible.map((tally) => passAtKUnbiased(tally.n, tally.c, j)));
  }
  const consensus = tallies.filter((tally) => tally.consensus !== null);
  return {
    questions: tallies.length,
    items: items.length,
    unscored: items.filter((item) => item.correct === null).length,
    k,
    pass1PerRun,
    pass1: pass1PerRun[0] ?? 0,
    avgAtK: mean(scoredTallies.map((tally) => tally.c / tally.n)),
    bestPass1: pass1PerRun.length ? Math.max(...pass1PerRun) : 0,
    passAtK,
    consAtK: mean(consensus.map((tally) => (tally.consensus ? 1 : 0))),
  };
}

export interface AgentStatistics {
  meanTurns: number;
  meanToolCalls: number;
  meanTokens: number;
  totalTokens: number;
  totalCostUsd: number;
  meanDurationMs: number;
  /** Termination label → count. */
  terminations: Record<string, number>;
  /** Turns → count (for the histogram). */
  turnsHistogram: Record<string, number>;
  /** The same means over correct items only. */
  correctMeanTurns: number;
  correctMeanToolCalls: number;
}

export function agentStatistics(items: readonly ItemResult[]): AgentStatistics {
  const terminations: Record<string, number> = {};
  const turnsHistogram: Record<string, number> = {};
  for (const item of items) {
    terminations[item.termination] = (terminations[item.termination] ?? 0) + 1;
    turnsHistogram[String(item.turns)] = (turnsHistogram[String(item.turns)] ?? 0) + 1;
  }
  const correct = items.filter((item) => item.correct === true);
  return {
    meanTurns: mean(items.map((item) => item.turns)),
    meanToolCalls: mean(items.map((item) => item.toolCalls)),
    meanTokens: mean(items.map((item) => item.tokens)),
    totalTokens: items.reduce((sum, item) => sum + item.tokens, 0),
    totalCostUsd: items.reduce((sum, item) => sum + item.costUsd, 0),
    meanDurationMs: mean(items.map((item) => item.durationMs)),
    terminations,
    turnsHistogram,
    correctMeanTurns: mean(correct.map((item) => item.turns)),
    correctMeanToolCalls: mean(correct.map((item) => item.toolCalls)),
  };
}

/** Accuracy metrics per value of `level` or `source` (items without one are grouped under "-"). */
export function breakdown(items: readonly ItemResult[], by: "level" | "source"): Record<string, AccuracyMetrics> {
  const groups = new Map<string, ItemResult[]>();
  for (const item of items) {
    const key = item[by] ?? "-";
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  const out: Record<string, AccuracyMetrics> = {};
  for (const key of [...groups.keys()].sort()) out[key] = accuracyMetrics(groups.get(key) ?? []);
  return out;
}

export interface Disagreement {
  questionId: string;
  sample: number;
  prediction: string | null;
  em: number;
  judge: boolean;
}

/** Items where the judge and exact match disagree (judge right but EM 0, or EM 1 but judge wrong). */
export function judgeDisagreements(items: readonly ItemResult[]): Disagreement[] {
  return items
    .filter((item) => item.correct !== null && item.em !== undefined && (item.em === 1) !== item.correct)
    .map((item) => ({
      questionId: item.questionId,
      sample: item.sample,
      prediction: item.prediction,
      em: item.em as number,
      judge: item.correct as boolean,
    }));
}

export interface ThreeWayMetrics {
  correct: number;
  incorrect: number;
  notAttempted: number;
  accuracyGivenAttempted: number;
  /** F = 2·acc_att·correct / (acc_att + correct). */
  f: number;
}

/** SimpleQA rates over items that carry a three-way grade. */
export function threeWayMetrics(items: readonly ItemResult[]): ThreeWayMetrics | undefined {
  const graded = items.filter((item) => item.grade !== undefined);
  if (graded.length === 0) return undefined;
  const rate = (grade: string) => graded.filter((item) => item.grade === grade).length / graded.length;
  const correct = rate("correct");
  const incorrect = rate("incorrect");
  const accuracyGivenAttempted = correct + incorrect > 0 ? correct / (correct + incorrect) : 0;
  const f =
    accuracyGivenAttempted + correct > 0
      ? (2 * accuracyGivenAttempted * correct) / (accuracyGivenAttempted + correct)
      : 0;
  return { correct, incorrect, notAttempted: rate("not_attempted"), accuracyGivenAttempted, f };
}

/**
 * BrowseComp-ZH calibration error in percent: bins [0,20) … [80,100] (bin = min(conf // 20, 4));
 * CE = Σ_b (n_b / N)·|acc_b − mean_conf_b|. Undefined when no item has a confidence.
 */
export function calibrationError(items: readonly ItemResult[]): number | undefined {
  const scored = items.filter((item) => item.confidence !== undefined && item.correct !== null);
  if (scored.length === 0) return undefined;
  const bins = Array.from({ length: 5 }, () => ({ n: 0, correct: 0, confidence: 0 }));
  for (const item of scored) {
    const confidence = Math.min(100, Math.max(0, item.confidence as number));
    const bin = bins[Math.min(Math.floor(confidence / 20), 4)] as (typeof bins)[number];
    bin.n += 1;
    bin.correct += item.correct ? 1 : 0;
    bin.confidence += confidence;
  }
  let error = 0;
  for (const bin of bins) {
    if (bin.n === 0) continue;
    error += (bin.n / scored.length) * Math.abs((bin.correct / bin.n) * 100 - bin.confidence / bin.n);
  }
  return error;
}
