/**
 * SQuAD-style answer normalisation and string-match metrics, written to give exactly the numbers of the
 * official SQuAD v1.1 / HotpotQA evaluation scripts and FlashRAG / Search-R1 `qa_em.py`:
 *
 * 1. lower-case (Python `str.lower`);
 * 2. delete every ASCII punctuation character (`string.punctuation`); Unicode punctuation survives;
 * 3. replace the whole words `a`, `an`, `the` by a space (Python's Unicode-aware `\b`);
 * 4. split on (Python) whitespace and re-join with single spaces.
 */

/**
 * Python `str.split()` whitespace (characters where `str.isspace()` is true). Differs from JS `\s`:
 * includes \x1c-\x1f and \x85, excludes \ufeff.
 */
const PYTHON_WHITESPACE = /[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;

/** `\b(a|an|the)\b` with Python 3's Unicode word characters (letters, numbers, underscore). */
const ARTICLES = /(?<![\p{L}\p{N}_])(?:a|an|the)(?![\p{L}\p{N}_])/gu;

/** Python's `string.punctuation` as a character class. */
const PUNCTUATION_PATTERN = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;

export function removePunctuation(text: string): string {
  return text.replace(PUNCTUATION_PATTERN, "");
}

/** Python `str.split()` (no argument): runs of whitespace, no empty tokens. */
export function splitWhitespace(text: string): string[] {
  return text.split(PYTHON_WHITESPACE).filter((token) => token !== "");
}

/** Python `str.strip()` (no argument). */
export function stripPython(text: string): string {
  return text
    .replace(/^[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u, "")
    .replace(/[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/u, "");
}

/** For ASCII text JS `\b` equals Python's, and ASCII whitespace is all there is: a faster path. */
const ASCII_ARTICLES = /\b(?:a|an|the)\b/g;
const ASCII_ONLY = /^[\x00-\x7f]*$/;
const ASCII_WHITESPACE = /[\t\n\x0b\x0c\r\x1c-\x1f ]+/;

/** SQuAD / HotpotQA `normalize_answer`. */
export function normalizeAnswer(text: string): string {
  const lowered = text.toLowerCase();
  const noPunctuation = removePunctuation(lowered);
  if (ASCII_ONLY.test(noPunctuation)) {
    return noPunctuation
      .replace(ASCII_ARTICLES, " ")
      .split(ASCII_WHITESPACE)
      .filter((token) => token !== "")
      .join(" ");
  }
  const noArticles = noPunctuation.replace(ARTICLES, " ");
  return splitWhitespace(noArticles).join(" ");
}

/** Accept one gold answer or a list of aliases. */
export function goldList(golds: string | readonly string[]): string[] {
  return typeof golds === "string" ? [golds] : [...golds];
}

/** 1 if the normalised prediction equals any normalised gold, else 0. */
export function exactMatch(prediction: string, golds: string | readonly string[]): number {
  const normalized = normalizeAnswer(prediction);
  return goldList(golds).some((gold) => normalizeAnswer(gold) === normalized) ? 1 : 0;
}

/**
 * Cover EM / substring EM (FlashRAG `subem`, often reported as "Acc"): 1 if a normalised gold is a raw
 * substring of the normalised prediction. An empty normalised gold is skipped (it would match anything).
 */
export function coverExactMatch(prediction: string, golds: string | readonly string[]): number {
  const normalized = normalizeAnswer(prediction);
  return goldList(golds).some((gold) => {
    const normalizedGold = normalizeAnswer(gold);
    return normalizedGold !== "" && normalized.includes(normalizedGold);
  })
    ? 1
    : 0;
}

export interface F1Result {
  f1: number;
  precision: number;
  recall: number;
}

/**
 * `hotpotqa`: HotpotQA `f1_score` (also FlashRAG): a yes/no/noanswer answer on either side only scores
 * against an identical answer. `squad`: SQuAD v1.1 `f1_score` (no special case).
 */
export type F1Convention = "hotpotqa" | "squad";

const SPECIAL_ANSWERS = new Set(["yes", "no", "noanswer"]);

/** Token F1 of one prediction against one gold, on normalised strings. */
export function f1Single(prediction: string, gold: string, convention: F1Convention = "hotpotqa"): F1Result {
  return f1Normalized(normalizeAnswer(prediction), normalizeAnswer(gold), convention);
}

/** Token F1 of already-normalised strings (HotpotQA / SQuAD `f1_score` after `normalize_answer`). */
export function f1Normalized(normalizedPrediction: string, normalizedGold: string, convention: F1Convention): F1Result {
  const zero = { f1: 0, precision: 0, recall: 0 };
  if (convention === "hotpotqa") {
    if (SPECIAL_ANSWERS.has(normalizedPrediction) && normalizedPrediction !== normalizedGold) return zero;
    if (SPECIAL_ANSWERS.has(normalizedGold) && normalizedPrediction !== normalizedGold) return zero;
  }
  const predictionTokens = normalizedPrediction === "" ? [] : normalizedPrediction.split(" ");
  const goldTokens = normalizedGold === "" ? [] : normalizedGold.split(" ");
  const goldCounts = new Map<string, number>();
  for (const token of goldTokens) goldCounts.set(token, (goldCounts.get(token) ?? 0) + 1);
  let common = 0;
  for (const token of predictionTokens) {
    const left = goldCounts.get(token) ?? 0;
    if (left > 0) {
      common += 1;
      goldCounts.set(token, left - 1);
    }
  }
  if (common === 0) return zero;
  const precision = common / predictionTokens.length;
  const recall = common / goldTokens.length;
  return { f1: (2 * precision * recall) / (precision + recall), precision, recall };
}

/**
 * Token F1 against several golds: the max of F1, precision and recall taken separately over golds
 * (FlashRAG); with one gold this is exactly the official HotpotQA / SQuAD number. SQuAD's
 * `metric_max_over_ground_truths` gives the same F1.
 */
export function tokenF1(
  prediction: string,
  golds: string | readonly string[],
  convention: F1Convention = "hotpotqa",
): F1Result {
  const result = { f1: 0, precision: 0, recall: 0 };
  for (const gold of goldList(golds)) {
    const single = f1Single(prediction, gold, convention);
    result.f1 = Math.max(result.f1, single.f1);
    result.precision = Math.max(result.precision, single.precision);
    result.recall = Math.max(result.recall, single.recall);
  }
  return result;
}

/** Names accepted by `stringMetrics` / `drkit score --metrics`. */
export const STRING_METRICS = ["em", "f1", "precision", "recall", "cover_em", "squad_f1"] as const;
export type StringMetric = (typeof STRING_METRICS)[number];

export function isStringMetric(name: string): name is StringMetric {
  return (STRING_METRICS as readonly string[]).includes(name);
}

/** Compute the named metrics for one prediction (null prediction scores 0 everywhere). Normalises each string once. */
export function stringMetrics(
  prediction: string | null | undefined,
  golds: string | readonly string[],
  metrics: readonly StringMetric[] = ["em", "f1", "cover_em"],
): Record<StringMetric, number> {
  const out = {} as Record<StringMetric, number>;
  if (prediction === null || prediction === undefined) {
    for (const metric of metrics) out[metric] = 0;
    return out;
  }
  const normalized = normalizeAnswer(prediction);
  const normalizedGolds = goldList(golds).map(normalizeAnswer);
  let em = 0;
  let cover = 0;
  const f1 = { f1: 0, precision: 0, recall: 0 };
  let squad = 0;
  const wantF1 = metrics.some((metric) => metric === "f1" || metric === "precision" || metric === "recall");
  const wantSquad = metrics.includes("squad_f1");
  for (const gold of normalizedGolds) {
    if (gold === normalized) em = 1;
    if (gold !== "" && normalized.includes(gold)) cover = 1;
    if (wantF1) {
      const single = f1Normalized(normalized, gold, "hotpotqa");
      f1.f1 = Math.max(f1.f1, single.f1);
      f1.precision = Math.max(f1.precision, single.precision);
      f1.recall = Math.max(f1.recall, single.recall);
    }
    if (wantSquad) squad = Math.max(squad, f1Normalized(normalized, gold, "squad").f1);
  }
  for (const metric of metrics) {
    switch (metric) {
      case "em":
        out[metric] = em;
        break;
      case "cover_em":
        out[metric] = cover;
        break;
      case "f1":
        out[metric] = f1.f1;
        break;
      case "precision":
        out[metric] = f1.precision;
        break;
      case "recall":
        out[metric] = f1.recall;
        break;
      case "squad_f1":
        out[metric] = squad;
        break;
    }
  }
  return out;
}
