/**
 * Stage 4: difficulty calibration. A reference solver runs n rollouts per item; the pass rate labels the item
 * `trivial` (solved by plain retrieval / every rollout), `medium`, `hard` (no rollout) or `unsolvable` (the oracle,
 * or every agent rollout, failed). Without a model the reference is a single-shot BM25 retriever (the RAG filter
 * of WebDancer's "Open-only" mix): a rollout passes when one search with the question (a seeded random 70% of its
 * words after the first rollout) returns every evidence passage in its top k. With a model, `agentPassRate`
 * collects real agent rollouts.
 */

import { Random } from "../core/random.js";
import type { Corpus } from "../corpus/types.js";
import type { Chain, DifficultyLabel, ObfuscatedItem } from "./types.js";

export interface CalibrationResult {
  method: string;
  rollouts: number;
  passRate: number | null;
  label: DifficultyLabel;
}

export interface RetrievalCalibrationOptions {
  rollouts?: number;
  topk?: number;
  seed?: number;
  /** Pass rate at or above which an item is trivial (default 1: every rollout). */
  trivialAt?: number;
}

function hashString(text: string): number {
  let hash = 2166136261;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619);
  return hash >>> 0;
}

export function labelFor(passRate: number | null, solvable: boolean, trivialAt = 1): DifficultyLabel {
  if (!solvable || passRate === null) return "unsolvable";
  if (passRate >= trivialAt) return "trivial";
  if (passRate === 0) return "hard";
  return "medium";
}

export async function retrievalPassRate(
  item: ObfuscatedItem,
  chain: Chain,
  corpus: Corpus,
  options: RetrievalCalibrationOptions = {},
): Promise<number> {
  const rollouts = Math.max(1, options.rollouts ?? 4);
  const topk = options.topk ?? 5;
  const random = new Random(((options.seed ?? 0) ^ hashString(item.id)) >>> 0);
  const words = item.question.split(/\s+/).filter(Boolean);
  let passes = 0;
  for (let rollout = 0; rollout < rollouts; rollout++) {
    const query = rollout === 0 ? item.question : words.filter(() => random.next() >= 0.3).join(" ");
    const hits = new Set(((await corpus.search([query || item.question], topk))[0] ?? []).map((hit) => hit.passage.id));
    if (chain.evidenceIds.every((id) => hits.has(id))) passes += 1;
  }
  return passes / rollouts;
}

export async function calibrateWithRetrieval(
  item: ObfuscatedItem,
  chain: Chain,
  corpus: Corpus,
  solvable: boolean,
  options: RetrievalCalibrationOptions = {},
): Promise<CalibrationResult> {
  const rollouts = Math.max(1, options.rollouts ?? 4);
  const passRate = await retrievalPassRate(item, chain, corpus, options);
  return {
    method: `bm25-single-search-top${options.topk ?? 5}`,
    rollouts,
    passRate,
    label: labelFor(passRate, solvable, options.trivialAt),
  };
}
