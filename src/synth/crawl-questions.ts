/**
 * CrawlQA question generation (WebDancer §2.1): an LLM writes COUNT, MULTI-HOP and INTERSECTION questions from
 * groups of collected pages (a page; a page and a page it links to; two pages linked from a common page), with
 * Mintaka-style rules and examples. Each question is verified like the multi-hop items: the answer is grounded in
 * the evidence pages, absent from the question (leakage), multi-page types cite at least two pages, and an
 * optional LLM judge checks uniqueness. One JSONL line per page group, so a killed run resumes.
 */
import { z } from "zod";
import type { UsageTracker } from "../core/budget.js";
import { CancelledError, describeError } from "../core/errors.js";
import { JsonlWriter, readJsonlRecords } from "../core/jsonl-store.js";
import { createProgress } from "../core/progress.js";
import { Random } from "../core/random.js";
import type { Corpus } from "../corpus/types.js";
import type { ChatModel } from "../llm/chat-model.js";
import type { CollectedPage } from "./crawl.js";
import { completeJson } from "./llm-json.js";
import { normalizeQuestion } from "./obfuscate.js";
import { containsNormalized } from "./text.js";
import type { Chain, Check, ObfuscatedItem } from "./types.js";
import { leakageCheck } from "./verify.js";

export const CRAWL_QUESTION_TYPES = ["count", "multi-hop", "intersection"] as const;
export type CrawlQuestionType = (typeof CRAWL_QUESTION_TYPES)[number];

export interface PageGroup {
  id: string;
  type: CrawlQuestionType;
  pages: CollectedPage[];
}

/** Page groups for each type, drawn with a seeded generator and balanced across types. */
export function pageGroups(pages: readonly CollectedPage[], count: number, seed = 0): PageGroup[] {
  const random = new Random(seed);
  const byId = new Map(pages.map((page) => [page.id, page]));
  const candidates: Record<CrawlQuestionType, PageGroup[]> = { count: [], "multi-hop": [], intersection: [] };
  for (const page of pages) {
    if (page.text.length > 200) candidates.count.push({ id: `count:${page.id}`, type: "count", pages: [page] });
    for (const link of page.links) {
      const target = byId.get(link);
      if (target)
        candidates["multi-hop"].push({
          id: `multi-hop:${page.id}>${target.id}`,
          type: "multi-hop",
          pages: [page, target],
        });
    }
    const linked = page.links
      .map((link) => byId.get(link))
      .filter((other): other is CollectedPage => other !== undefined);
    for (let i = 0; i + 1 < linked.length; i += 2) {
      const [a, b] = [linked[i] as CollectedPage, linked[i + 1] as CollectedPage];
      candidates.intersection.push({ id: `intersection:${a.id}&${b.id}`, type: "intersection", pages: [a, b, page] });
    }
  }
  const pools = CRAWL_QUESTION_TYPES.map((type) => random.shuffle(candidates[type]));
  const out: PageGroup[] = [];
  const seen = new Set<string>();
  for (let round = 0; out.length < count && pools.some((pool) => pool.length > round); round++) {
    for (const pool of pools) {
      const group = pool[round];
      if (group && !seen.has(group.id) && out.length < count) {
        seen.add(group.id);
        out.push(group);
      }
    }
  }
  return out;
}

export const CRAWLQA_SYSTEM_PROMPT = `You write one hard, verifiable question from web pages, in the style of Mintaka.
Types:
- COUNT: the answer is a number obtained by counting items the page lists ("How many studio albums did the band release before 2000?").
- MULTI-HOP: the question describes an entity from page 1 and asks for a fact that only page 2 gives ("What river flows through the city where the author of X was born?").
- INTERSECTION: the answer is the one thing that satisfies conditions from two different pages ("Which film was directed by the director of A and stars the lead of B?").
Rules: the answer must be stated in (or counted from) the pages; never write the answer in the question; name as few entities as possible, describing them instead; exactly one answer.
Reply with a JSON object only: {"question": "...", "answer": "...", "evidence": [<page numbers used>]}`;

const ReplySchema = z.object({
  question: z.string().min(5),
  answer: z.union([z.string(), z.number()]).transform(String),
  evidence: z.array(z.number().int().positive()).default([]),
});

export interface CrawlQaRecord {
  id: string;
  type: CrawlQuestionType;
  question: string | null;
  answer: string | null;
  pages: { id: string; title: string }[];
  evidence: string[];
  generator: string;
  checks: { grounded: Check; leakage: Check; multi_page: Check; uniqueness: Check; solvability: Check } | null;
  /** Retrieval calibration over the collected pages (null without a page index). */
  calibration: { method: string; label: "trivial" | "medium" | "unsolvable" } | null;
  kept: boolean;
  drop_reasons: string[];
  error?: string;
}

export interface CrawlQaOptions {
  pages: readonly CollectedPage[];
  model: ChatModel;
  out: string;
  count?: number;
  seed?: number;
  /** Characters of each page shown to the model (default 3,000). */
  pageChars?: number;
  judge?: { check(item: ObfuscatedItem, chain: Chain, signal?: AbortSignal): Promise<Check> };
  /** A search index of the collected pages (ids = page ids) for the solvability check and calibration. */
  corpus?: Corpus;
  topk?: number;
  keepTrivial?: boolean;
  tracker?: UsageTracker;
  quiet?: boolean;
  signal?: AbortSignal;
}

/**
 * Retrieval proxy over the collected pages: a solver searches the question, then may follow links from pages it
 * found. Solvable when every evidence page is reached; trivial when one search already returns all of them.
 */
export async function pageReachability(
  question: string,
  evidence: readonly CollectedPage[],
  pages: readonly CollectedPage[],
  corpus: Corpus,
  topk = 5,
): Promise<{ solvability: Check; label: "trivial" | "medium" | "unsolvable" }> {
  const hits = ((await corpus.search([question], topk))[0] ?? []).map((hit) => hit.passage.id);
  const byId = new Map(pages.map((page) => [page.id, page]));
  const reached = new Set(hits);
  for (let changed = true; changed; ) {
    changed = false;
    for (const id of [...reached])
      for (const link of byId.get(id)?.links ?? [])
        if (evidence.some((page) => page.id === link) && !reached.has(link)) {
          reached.add(link);
          changed = true;
        }
  }
  const direct = evidence.filter((page) => hits.includes(page.id)).length;
  const solvable = evidence.every((page) => reached.has(page.id));
  const label = !solvable ? "unsolvable" : direct === evidence.length && evidence.length > 1 ? "trivial" : "medium";
  return {
    solvability: {
      passed: solvable,
      method: `search-top${topk}+link-following`,
      detail: { hits, reached: evidence.filter((page) => reached.has(page.id)).map((page) => page.id) },
    },
    label,
  };
}

function groundedCheck(type: CrawlQuestionType, answer: string, pages: readonly CollectedPage[]): Check {
  if (type === "count") {
    const numeric = /^\d+$/.test(answer.trim());
    return { passed: numeric, method: "count-is-a-number", detail: { answer } };
  }
  const holders = pages.filter(
    (page) => containsNormalized(page.text, answer) || containsNormalized(page.title, answer),
  );
  return {
    passed: holders.length > 0,
    method: "answer-in-evidence",
    detail: { pages: holders.map((page) => page.id) },
  };
}

export async function generateCrawlQuestions(options: CrawlQaOptions): Promise<{ records: CrawlQaRecord[] }> {
  const groups = pageGroups(options.pages, options.count ?? 20, options.seed ?? 0);
  const done = new Map(readJsonlRecords<CrawlQaRecord>(options.out).map((record) => [record.id, record]));
  const writer = new JsonlWriter(options.out);
  const progress = createProgress({
    label: "crawlqa",
    total: groups.length,
    start: groups.filter((group) => done.has(group.id)).length,
    quiet: options.quiet,
  });
  try {
    for (const group of groups) {
      if (options.signal?.aborted) throw new CancelledError();
      if (done.has(group.id)) continue;
      const record = await generateOne(group, options);
      writer.append(record);
      done.set(group.id, record);
      progress.increment(1);
    }
  } finally {
    progress.stop();
    writer.close();
  }
  return { records: groups.map((group) => done.get(group.id)).filter((record): record is CrawlQaRecord => !!record) };
}

async function generateOne(group: PageGroup, options: CrawlQaOptions): Promise<CrawlQaRecord> {
  const base = {
    id: group.id,
    type: group.type,
    pages: group.pages.map((page) => ({ id: page.id, title: page.title })),
    generator: `llm:${options.model.name}`,
  };
  const shown = group.pages.map(
    (page, index) => `Page ${index + 1}: ${page.title} (${page.id})\n${page.text.slice(0, options.pageChars ?? 3000)}`,
  );
  let reply: Awaited<ReturnType<typeof completeJson<z.infer<typeof ReplySchema>>>>;
  try {
    options.tracker?.check();
    reply = await completeJson(
      options.model,
      [
        { role: "system", content: CRAWLQA_SYSTEM_PROMPT },
        { role: "user", content: `Type: ${group.type.toUpperCase()}\n\n${shown.join("\n\n")}` },
      ],
      ReplySchema,
      { tracker: options.tracker, seed: options.seed, temperature: 0.7, signal: options.signal },
    );
  } catch (error) {
    if (options.signal?.aborted) throw new CancelledError();
    return {
      ...base,
      question: null,
      answer: null,
      evidence: [],
      checks: null,
      calibration: null,
      kept: false,
      drop_reasons: ["model error"],
      error: describeError(error),
    };
  }
  if (!reply.ok)
    return {
      ...base,
      question: null,
      answer: null,
      evidence: [],
      checks: null,
      calibration: null,
      kept: false,
      drop_reasons: ["unusable reply"],
      error: reply.reason,
    };
  const question = normalizeQuestion(reply.value.question);
  const answer = reply.value.answer.trim();
  const evidencePages = reply.value.evidence
    .map((number) => group.pages[number - 1])
    .filter((page): page is CollectedPage => page !== undefined);
  const evidence = evidencePages.length > 0 ? evidencePages : group.pages;
  const grounded = groundedCheck(group.type, answer, evidence);
  const leakage = leakageCheck(question, [answer], []);
  const multiPage: Check =
    group.type === "count"
      ? { passed: true, method: "single-page-type", detail: {} }
      : {
          passed: new Set(evidence.map((page) => page.id)).size >= 2,
          method: "evidence-pages>=2",
          detail: { pages: evidence.length },
        };
  let uniqueness: Check = { passed: null, method: "not-run (no --judge)", detail: {} };
  if (options.judge) {
    const passages: Chain["passages"] = {};
    for (const page of evidence) passages[page.id] = { title: page.title, text: page.text.slice(0, 6000) };
    const chain: Chain = {
      sourceId: group.id,
      dataset: "hotpotqa",
      kind: group.type === "intersection" ? "comparison" : "bridge",
      question,
      answer,
      aliases: [],
      entities: [],
      hops: [],
      evidenceIds: evidence.map((page) => page.id),
      passages,
    };
    const item: ObfuscatedItem = {
      id: group.id,
      sourceId: group.id,
      level: 1,
      question,
      answer,
      obfuscator: base.generator,
      replacements: [],
      hiddenNames: [],
    };
    uniqueness = await options.judge.check(item, chain, options.signal);
  }
  let solvability: Check = { passed: null, method: "not-run (no page index)", detail: {} };
  let calibration: CrawlQaRecord["calibration"] = null;
  if (options.corpus) {
    const reach = await pageReachability(question, evidence, options.pages, options.corpus, options.topk);
    solvability = reach.solvability;
    calibration = { method: solvability.method, label: reach.label };
  }
  const dropReasons: string[] = [];
  if (grounded.passed !== true) dropReasons.push("answer not in evidence");
  if (options.corpus && solvability.passed !== true) dropReasons.push("unsolvable");
  if (calibration?.label === "trivial" && !options.keepTrivial) dropReasons.push("trivial");
  if (leakage.passed !== true) dropReasons.push("leakage");
  if (multiPage.passed !== true) dropReasons.push("single page");
  if (options.judge && uniqueness.passed !== true) dropReasons.push("not unique");
  return {
    ...base,
    question,
    answer,
    evidence: evidence.map((page) => page.id),
    checks: { grounded, leakage, multi_page: multiPage, uniqueness, solvability },
    calibration,
    kept: dropReasons.length === 0,
    drop_reasons: dropReasons,
  };
}
