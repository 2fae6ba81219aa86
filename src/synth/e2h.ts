/**
 * E2HQA (WebDancer §2.1): easy → hard by iterated entity rewriting. For each seed (q₀, a) and n = 0..N−1:
 * pick an entity Eₙ named in qₙ (never the answer), search about it, rewrite it as a description drawn from the
 * results, qₙ₊₁ = qₙ with Eₙ replaced. The answer never changes. A round whose checks fail stops the seed.
 * Every intermediate question is kept (one JSONL line per round, round 0 = the seed), keyed
 * `<seed id>#R<round>`, so a killed run resumes after the last complete round.
 */
import { z } from "zod";
import type { UsageTracker } from "../core/budget.js";
import { CancelledError, describeError } from "../core/errors.js";
import { JsonlWriter, readJsonlRecords } from "../core/jsonl-store.js";
import { createProgress } from "../core/progress.js";
import { Random } from "../core/random.js";
import type { ChatModel } from "../llm/chat-model.js";
import type { SearchProvider, SearchResult } from "../tools/search/provider.js";
import { completeJson } from "./llm-json.js";
import { normalizeQuestion } from "./obfuscate.js";
import { replaceMention } from "./replace-mention.js";
import { containsNormalized, describeFromPassage, displayName, namedSpans } from "./text.js";
import type { Check } from "./types.js";

export interface E2hSeed {
  id: string;
  question: string;
  answer: string;
}

export interface E2hRecord {
  id: string;
  seed_id: string;
  round: number;
  question: string;
  answer: string;
  status: "seed" | "ok" | "stopped";
  stop_reason?: string;
  previous_question?: string;
  entity?: string;
  query?: string;
  hits?: { id?: string; url?: string; title: string }[];
  description?: string;
  evidence?: { id?: string; url?: string; title: string } | null;
  rewriter?: string;
  /** Every name replaced so far (must stay absent from later questions). */
  hidden_names: string[];
  checks?: { answer_unchanged: Check; leakage: Check; rewrite: Check };
}

export interface E2hRewrite {
  question: string;
  description: string;
  evidence: SearchResult | null;
}

/** Writes the description of one entity from search results and puts it into the question. */
export interface E2hRewriter {
  readonly name: string;
  rewrite(input: {
    question: string;
    answer: string;
    entity: string;
    results: SearchResult[];
    forbidden: string[];
    signal?: AbortSignal;
  }): Promise<E2hRewrite | { error: string }>;
}

/** The rule fallback: the defining sentence of the entity's own result (title match), its name removed. */
export class RuleE2hRewriter implements E2hRewriter {
  readonly name = "rule";

  async rewrite(input: Parameters<E2hRewriter["rewrite"]>[0]): Promise<E2hRewrite | { error: string }> {
    // Only the entity's own page may describe it: a description of another hit would change the question.
    const own = input.results.filter(
      (result) => displayName(result.title).toLowerCase() === input.entity.toLowerCase(),
    );
    for (const result of own) {
      const description = describeFromPassage(result.snippet, input.entity, input.forbidden, 18);
      if (!description) continue;
      const question = replaceMention(input.question, input.entity, description.text);
      if (question) return { question: normalizeQuestion(question), description: description.text, evidence: result };
    }
    return {
      error:
        own.length === 0
          ? `no result is a page about "${input.entity}"`
          : `its page does not describe "${input.entity}" without revealing a hidden name`,
    };
  }
}

const RewriteSchema = z.object({ description: z.string().min(3), question: z.string().min(5) });

export const E2H_SYSTEM_PROMPT = `You make research questions harder without changing their answer.
Given a question, its answer, one entity named in the question and search results about that entity, write a description that pins down exactly that entity using only facts from the results, without naming it, then rewrite the question with the entity replaced by the description.
Never write the answer or the entity's name. Reply with a JSON object only: {"description": "...", "question": "..."}`;

export class LlmE2hRewriter implements E2hRewriter {
  readonly name: string;

  constructor(
    private readonly model: ChatModel,
    private readonly options: { tracker?: UsageTracker; seed?: number; temperature?: number } = {},
  ) {
    this.name = `llm:${model.name}`;
  }

  async rewrite(input: Parameters<E2hRewriter["rewrite"]>[0]): Promise<E2hRewrite | { error: string }> {
    const results = input.results
      .slice(0, 5)
      .map(
        (result, index) => `[${index + 1}] ${result.title}${result.url ? ` (${result.url})` : ""}: ${result.snippet}`,
      );
    const reply = await completeJson(
      this.model,
      [
        { role: "system", content: E2H_SYSTEM_PROMPT },
        {
          role: "user",
          content: `Question: ${input.question}\nAnswer: ${input.answer}\nEntity to replace: ${input.entity}\n\nSearch results:\n${results.join("\n")}`,
        },
      ],
      RewriteSchema,
      {
        tracker: this.options.tracker,
        seed: this.options.seed,
        temperature: this.options.temperature ?? 0.3,
        signal: input.signal,
      },
    );
    if (!reply.ok) return { error: reply.reason };
    return {
      question: normalizeQuestion(reply.value.question),
      description: reply.value.description,
      evidence: input.results[0] ?? null,
    };
  }
}

export interface E2hOptions {
  seeds: readonly E2hSeed[];
  search: SearchProvider;
  out: string;
  /** Rewrites per seed (default 3). */
  rounds?: number;
  rewriter?: E2hRewriter;
  /** When the main rewriter fails on an entity, try this one (e.g. rule after llm). */
  fallback?: E2hRewriter;
  topk?: number;
  seed?: number;
  tracker?: UsageTracker;
  quiet?: boolean;
  signal?: AbortSignal;
}

export interface E2hSummary {
  seeds: number;
  /** Seeds that reached each round (index = round). */
  reached: number[];
  stopped: Record<string, number>;
  records: number;
}

function hit(result: SearchResult) {
  return { ...(result.id ? { id: result.id } : {}), ...(result.url ? { url: result.url } : {}), title: result.title };
}

/** Candidate entities of a question: named spans that are not (part of) the answer or a hidden name. */
const MONTH = /^(?:January|February|March|April|May|June|July|August|September|October|November|December)\b/;

export function e2hCandidates(question: string, answer: string, hidden: readonly string[]): string[] {
  return namedSpans(question).filter(
    (span) =>
      !MONTH.test(span) &&
      !/^\d/.test(span) &&
      !containsNormalized(answer, span) &&
      !containsNormalized(span, answer) &&
      !hidden.some((name) => containsNormalized(span, name)),
  );
}

async function oneRound(current: E2hRecord, seed: E2hSeed, options: E2hOptions, random: Random): Promise<E2hRecord> {
  const round = current.round + 1;
  const base = {
    id: `${seed.id}#R${round}`,
    seed_id: seed.id,
    round,
    answer: seed.answer,
    previous_question: current.question,
  };
  const stop = (reason: string, extra: Partial<E2hRecord> = {}): E2hRecord => ({
    ...base,
    question: current.question,
    status: "stopped",
    stop_reason: reason,
    hidden_names: current.hidden_names,
    ...extra,
  });
  const candidates = random.shuffle(e2hCandidates(current.question, seed.answer, current.hidden_names));
  if (candidates.length === 0) return stop("no entity left to rewrite");
  const failures: string[] = [];
  for (const entity of candidates.slice(0, 3)) {
    options.tracker?.check();
    let results: SearchResult[];
    try {
      results = (await options.search.search([entity], { topk: options.topk ?? 5, signal: options.signal }))[0] ?? [];
    } catch (error) {
      failures.push(`${entity}: search failed: ${describeError(error)}`);
      continue;
    }
    options.tracker?.chargeTool();
    if (results.length === 0) {
      failures.push(`${entity}: no search results`);
      continue;
    }
    const forbidden = [seed.answer, ...current.hidden_names, entity];
    const rewriters = [options.rewriter ?? new RuleE2hRewriter(), ...(options.fallback ? [options.fallback] : [])];
    for (const rewriter of rewriters) {
      const rewritten = await rewriter.rewrite({
        question: current.question,
        answer: seed.answer,
        entity,
        results,
        forbidden,
        signal: options.signal,
      });
      if ("error" in rewritten) {
        failures.push(`${entity}: ${rewriter.name}: ${rewritten.error}`);
        continue;
      }
      const hidden = [...current.hidden_names, entity];
      const leaked = [seed.answer, ...hidden].filter((value) => containsNormalized(rewritten.question, value));
      const changed = rewritten.question !== current.question && rewritten.description.trim() !== "";
      const checks = {
        answer_unchanged: { passed: true, method: "fixed-by-construction", detail: {} },
        leakage: { passed: leaked.length === 0, method: "normalized-substring", detail: { leaked } },
        rewrite: { passed: changed, method: "question-changed", detail: {} },
      };
      const record: E2hRecord = {
        ...base,
        question: rewritten.question,
        status: "ok",
        entity,
        query: entity,
        hits: results.map(hit),
        description: rewritten.description,
        evidence: rewritten.evidence ? hit(rewritten.evidence) : null,
        rewriter: rewriter.name,
        hidden_names: hidden,
        checks,
      };
      if (checks.leakage.passed && checks.rewrite.passed) return record;
      return {
        ...record,
        status: "stopped",
        stop_reason: leaked.length > 0 ? "leakage" : "question unchanged",
        question: current.question,
      };
    }
  }
  return stop(`no entity could be rewritten (${failures.join("; ")})`);
}

export async function synthesizeE2h(options: E2hOptions): Promise<E2hSummary> {
  const rounds = options.rounds ?? 3;
  const existing = readJsonlRecords<E2hRecord>(options.out);
  const bySeed = new Map<string, E2hRecord[]>();
  for (const record of existing) bySeed.set(record.seed_id, [...(bySeed.get(record.seed_id) ?? []), record]);
  const writer = new JsonlWriter(options.out);
  const finished = (records: E2hRecord[] | undefined) => {
    const last = records?.at(-1);
    return last !== undefined && (last.status === "stopped" || last.round >= rounds);
  };
  const progress = createProgress({
    label: "synth e2h",
    total: options.seeds.length,
    start: options.seeds.filter((seed) => finished(bySeed.get(seed.id))).length,
    quiet: options.quiet,
  });
  try {
    for (const seed of options.seeds) {
      if (options.signal?.aborted) throw new CancelledError();
      const records = bySeed.get(seed.id) ?? [];
      if (finished(records)) continue;
      let current = records.at(-1);
      if (!current) {
        current = {
          id: `${seed.id}#R0`,
          seed_id: seed.id,
          round: 0,
          question: normalizeQuestion(seed.question),
          answer: seed.answer,
          status: "seed",
          hidden_names: [],
        };
        writer.append(current);
        records.push(current);
      }
      // A seeded generator per seed and round, so a resumed run picks the same entities.
      while (current.round < rounds && current.status !== "stopped") {
        const random = new Random(((options.seed ?? 0) * 1_000_003 + hashId(seed.id) + current.round) >>> 0);
        const next = await oneRound(current, seed, options, random);
        writer.append(next);
        records.push(next);
        current = next;
      }
      bySeed.set(seed.id, records);
      progress.increment(1);
    }
  } finally {
    progress.stop();
    writer.close();
  }
  const reached = Array.from({ length: rounds + 1 }, () => 0);
  const stopped: Record<string, number> = {};
  let count = 0;
  for (const seed of options.seeds) {
    const records = bySeed.get(seed.id) ?? [];
    count += records.length;
    for (const record of records)
      if (record.status !== "stopped") reached[record.round] = (reached[record.round] ?? 0) + 1;
    const last = records.at(-1);
    if (last?.status === "stopped") {
      const reason = (last.stop_reason ?? "unknown").replace(/ \(.*$/, "");
      stopped[reason] = (stopped[reason] ?? 0) + 1;
    }
  }
  return { seeds: options.seeds.length, reached, stopped, records: count };
}

function hashId(text: string): number {
  let hash = 2166136261;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619);
  return hash >>> 0;
}
