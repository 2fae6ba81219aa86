/**
 * Stage 3: verification, one recorded check per item.
 * - answer unchanged (the item's answer equals the source answer, normalised);
 * - leakage: the answer (and aliases) and every obfuscated name absent from the question, normalised;
 * - uniqueness, corpus proxy: each description searched on its own ranks the described entity's passage first;
 * - solvability, chain-following oracle: the evidence passage of every hop is reached through `search` with
 *   queries made only from the question and the text of passages already found, and the last passage holds the answer.
 */
import type { Corpus, SearchHit } from "../corpus/types.js";
import { normalizeAnswer } from "../reward/normalize.js";
import { leakedAnswerWords } from "./answer-words.js";
import { containsNormalized, displayName } from "./text.js";
import type { Chain, Check, ObfuscatedItem, SearchStep } from "./types.js";

export function answerUnchangedCheck(item: ObfuscatedItem, chain: Chain): Check {
  const passed = normalizeAnswer(item.answer) === normalizeAnswer(chain.answer);
  return { passed, method: "normalized-equality", detail: { source: chain.answer, item: item.answer } };
}

/**
 * Leakage: the answer (and aliases) and every obfuscated name absent from the question (normalised, whole words),
 * and — given the source question — no content word of the answer beyond those the source question already had.
 */
export function leakageCheck(
  question: string,
  answers: readonly string[],
  hiddenNames: readonly string[],
  sourceQuestion?: string,
): Check {
  const leakedAnswers = answers.filter((answer) => containsNormalized(question, answer));
  const leakedNames = hiddenNames.filter((name) => containsNormalized(question, name));
  const leakedWords = sourceQuestion === undefined ? [] : leakedAnswerWords(question, answers, sourceQuestion);
  return {
    passed: leakedAnswers.length === 0 && leakedNames.length === 0 && leakedWords.length === 0,
    method: sourceQuestion === undefined ? "normalized-substring" : "normalized-substring+answer-words",
    detail: { leaked_answers: leakedAnswers, leaked_names: leakedNames, leaked_words: leakedWords },
  };
}

function rankOf(hits: readonly SearchHit[], id: string): number | null {
  const index = hits.findIndex((hit) => hit.passage.id === id);
  return index < 0 ? null : index + 1;
}

/**
 * Corpus proxy for "the description picks out exactly one entity": the described entity's passage ranks first for
 * the description on its own, or for the description together with the clues around it in the question (a short
 * description such as `the 1945 film` is unique next to `the woman who portrayed Corliss Archer`; the question is
 * what a solver reads).
 */
export async function uniquenessProxyCheck(item: ObfuscatedItem, corpus: Corpus, topk = 10): Promise<Check> {
  const described = item.replacements.filter((r) => r.kind === "entity-description" && r.passageId !== null);
  if (described.length === 0)
    return { passed: true, method: "corpus-rank-proxy", detail: { note: "no entity descriptions to check" } };
  const results = await corpus.search(
    [...described.map((replacement) => replacement.replacement), item.question],
    topk,
  );
  const inQuestion = results[described.length] ?? [];
  const ranks = described.map((replacement, index) => {
    const hits = results[index] ?? [];
    const rank = rankOf(hits, replacement.passageId as string);
    return {
      entity: replacement.entity,
      description: replacement.replacement,
      rank,
      rankInQuestion: rankOf(inQuestion, replacement.passageId as string),
      top: hits[0]?.passage.id ?? null,
      margin: hits.length > 1 && rank === 1 ? (hits[0]?.score ?? 0) - (hits[1]?.score ?? 0) : null,
    };
  });
  return {
    passed: ranks.every((entry) => entry.rank === 1 || entry.rankInQuestion === 1),
    method: "corpus-rank-proxy",
    detail: { topk, ranks },
  };
}

export interface OracleOptions {
  /** Hits per search (default 5). */
  topk?: number;
}

export interface OracleResult {
  solved: boolean;
  steps: SearchStep[];
  /** The hop it got stuck at, or null. */
  failedHop: number | null;
  reason: string | null;
}

async function step(corpus: Corpus, query: string, target: string, topk: number): Promise<SearchStep> {
  const hits = (await corpus.search([query], topk))[0] ?? [];
  return {
    query,
    hits: hits.map((hit) => ({ id: hit.passage.id, title: hit.passage.title, text: hit.passage.text })),
    target,
    rank: rankOf(hits, target),
  };
}

/** The bridge name as the solver could have read it: whole, else its longest run of words found in the text. */
export function readableName(text: string, name: string): string | null {
  if (containsNormalized(text, name)) return name;
  const words = name
    .replace(/\s*\([^)]*\)$/, "")
    .split(/\s+/)
    .filter(Boolean);
  for (let size = words.length - 1; size >= 1; size--) {
    for (let start = 0; start + size <= words.length; start++) {
      const part = words.slice(start, start + size).join(" ");
      if (!/\p{Lu}/u.test(part) || normalizeAnswer(part).length < 4) continue;
      if (containsNormalized(text, part)) return part;
    }
  }
  return null;
}

/**
 * The chain-following oracle: an idealised agent that knows the shape of the chain (which hop comes next) but
 * only the words it could have read: the question, the descriptions in it, and passages it has retrieved.
 */
export async function oracleSolve(
  item: ObfuscatedItem,
  chain: Chain,
  corpus: Corpus,
  options: OracleOptions = {},
): Promise<OracleResult> {
  const topk = options.topk ?? 5;
  const steps: SearchStep[] = [];
  const found: string[] = [];
  const readText = () => [item.question, ...found.map((id) => corpus.getPassage(id)?.text ?? "")].join("\n");
  const descriptionsFor = (entity: string) =>
    item.replacements.filter((r) => r.entity === entity && r.kind !== "date-period").map((r) => r.replacement);
  const tryQueries = async (queries: string[], target: string): Promise<boolean> => {
    for (const query of [...new Set(queries.filter((q) => q.trim() !== ""))]) {
      const result = await step(corpus, query, target, topk);
      steps.push(result);
      if (result.rank !== null) {
        if (!found.includes(target)) found.push(target);
        return true;
      }
    }
    return false;
  };
  for (const hop of chain.hops) {
    if (found.includes(hop.passageId)) continue;
    const queries: string[] = [];
    if (chain.kind === "comparison" || hop.index === 0) {
      queries.push(item.question, ...descriptionsFor(hop.entity));
      if (containsNormalized(item.question, hop.entity)) queries.push(hop.entity);
    } else {
      const previous = chain.hops[hop.index - 1];
      const bridge = previous?.yields ?? hop.entity;
      const readable = readableName(readText(), bridge);
      if (readable) {
        queries.push(readable);
        if (hop.question) queries.push(hop.question.replace(/#\d+/g, readable));
        queries.push(`${readable} ${item.question}`);
      }
      // The question itself may describe this hop directly (HotpotQA "intersection" bridges).
      queries.push(item.question, ...descriptionsFor(hop.entity));
    }
    if (!(await tryQueries(queries, hop.passageId)))
      return {
        solved: false,
        steps,
        failedHop: hop.index,
        reason: `no query reached the evidence of hop ${hop.index + 1}`,
      };
  }
  const answers = [chain.answer, ...chain.aliases];
  const normalized = normalizeAnswer(chain.answer);
  let holds: boolean;
  if (normalized === "yes" || normalized === "no") holds = chain.kind === "comparison";
  else {
    const last = chain.hops[chain.hops.length - 1];
    const scope = chain.kind === "comparison" ? found : last ? [last.passageId] : [];
    holds = scope.some((id) => {
      const passage = corpus.getPassage(id);
      if (!passage) return false;
      return answers.some(
        (answer) => containsNormalized(passage.text, answer) || containsNormalized(displayName(passage.title), answer),
      );
    });
  }
  if (!holds) return { solved: false, steps, failedHop: null, reason: "the answer is not in the final evidence" };
  return { solved: true, steps, failedHop: null, reason: null };
}

export function solvabilityCheck(result: OracleResult): Check {
  return {
    passed: result.solved,
    method: "chain-following-oracle",
    detail: { searches: result.steps.length, failed_hop: result.failedHop, reason: result.reason },
  };
}
