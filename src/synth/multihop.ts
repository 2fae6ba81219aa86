/**
 * `synthesizeMultihop`: multi-hop QA → hard questions at levels L1–L3, stage by stage, resumable.
 *
 * Files (for `--out runs/synth/x.jsonl`):
 * - `x.jsonl.work/settings.json`  what the stage files depend on (a rerun with other settings is refused);
 * - `x.jsonl.work/chains.jsonl`   stage 1, one line per source question (chain or the reason there is none);
 * - `x.jsonl.work/items.jsonl`    stage 2, one line per (source, level): the obfuscated question or why not;
 * - `x.jsonl.work/checked.jsonl`  stages 3–4, one `SynthRecord` per item, kept or dropped, with every check;
 * - `x.jsonl`                     the kept records (our schema); `x.parquet` the same;
 * - `x.dr9k.jsonl`, `x.dr9k.parquet` the kept records in the DeepResearch-9K schema; `x.report.json` the report.
 * Every line is keyed (source id, item id); a killed run restarts after the last complete line, and the final
 * outputs are rebuilt from the stage files, so nothing is lost or duplicated.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { setImmediate } from "node:timers/promises";
import type { UsageTracker } from "../core/budget.js";
import { CancelledError, ConfigError, InputError } from "../core/errors.js";
import { JsonlWriter, readJsonlRecords } from "../core/jsonl-store.js";
import { createProgress } from "../core/progress.js";
import { differingSettings } from "../core/settings-diff.js";
import type { Corpus } from "../corpus/types.js";
import { type CalibrationResult, calibrateWithRetrieval, labelFor } from "./calibrate.js";
import { extractChain } from "./chain.js";
import { toDr9k, writeDr9kParquet, writeJsonl, writeRecordsParquet } from "./export.js";
import { itemId, type Obfuscator, type PageLookup } from "./obfuscate.js";
import { resolveEvidenceId } from "./passage-id.js";
import { readabilityCheck } from "./readability.js";
import { buildReport, type SynthReport } from "./report.js";
import { loadSourceQuestions } from "./sources.js";
import { displayName } from "./text.js";
import type { Chain, Check, Level, ObfuscatedItem, SourceQuestion, SynthRecord } from "./types.js";
import { answerUnchangedCheck, leakageCheck, oracleSolve, solvabilityCheck, uniquenessProxyCheck } from "./verify.js";

/** An LLM (or other) uniqueness check; without one the corpus-rank proxy is used. */
export interface UniquenessJudge {
  readonly name: string;
  check(item: ObfuscatedItem, chain: Chain, signal?: AbortSignal): Promise<Check>;
}

/** A reference solver for calibration: real agent rollouts. Without one the BM25 single-search proxy is used. */
export interface ReferenceSolver {
  readonly name: string;
  rollouts: number;
  solve(
    item: ObfuscatedItem,
    chain: Chain,
    signal?: AbortSignal,
  ): Promise<{
    passRate: number;
    solvedOnce: boolean;
    trajectory?: SynthRecord["trajectory"];
    detail?: Record<string, unknown>;
  }>;
}

export interface MultihopOptions {
  /** Source file (HotpotQA / MuSiQue / 2Wiki). */
  from: string;
  corpus: Corpus;
  out: string;
  obfuscator: Obfuscator;
  levels?: Level[];
  limit?: number;
  seed?: number;
  /** Hits per oracle search (default 5). */
  topk?: number;
  /** Calibration rollouts per item (default 4). */
  rollouts?: number;
  /** Keep items labelled trivial (default false: they are dropped). */
  keepTrivial?: boolean;
  /**
   * Rewrites tried per (question, level) (default 4): the obfuscator's preferred rewrite is checked first and, when a
   * check drops it, its next variants in order; the first kept one is the level's record.
   */
  variants?: number;
  judge?: UniquenessJudge;
  solver?: ReferenceSolver;
  tracker?: UsageTracker;
  quiet?: boolean;
  signal?: AbortSignal;
}

interface ChainLine {
  sourceId: string;
  ok: boolean;
  reason?: string;
  chain?: Chain;
  source: { dataset: string; question: string; file: string; line: number };
}

interface ItemLine {
  id: string;
  sourceId: string;
  level: Level;
  ok: boolean;
  reason?: string;
  item?: ObfuscatedItem;
  /** The obfuscator's other rewrites, in its order of preference (checked when `item` is dropped). */
  alternatives?: ObfuscatedItem[];
}

export interface MultihopResult {
  report: SynthReport;
  files: { records: string; parquet: string; dr9k: string; dr9kParquet: string; report: string; work: string };
}

const SETTINGS_FILE = "settings.json";
const DEFAULT_VARIANTS = 4;

export function outputPaths(out: string): MultihopResult["files"] {
  const base = out.replace(/\.jsonl$/, "");
  return {
    records: out,
    parquet: `${base}.parquet`,
    dr9k: `${base}.dr9k.jsonl`,
    dr9kParquet: `${base}.dr9k.parquet`,
    report: `${base}.report.json`,
    work: `${out}.work`,
  };
}

/** Map a chain's evidence ids onto the ids the corpus stores (by title + text). */
export function resolveChainIds(chain: Chain, corpus: Corpus): { chain: Chain; missing: string[] } {
  const mapping = new Map<string, string>();
  const missing: string[] = [];
  for (const [id, passage] of Object.entries(chain.passages)) {
    const resolved =
      corpus.getPassage(id)?.text === passage.text ? id : resolveEvidenceId(corpus, passage.title, passage.text);
    if (resolved) mapping.set(id, resolved);
    else missing.push(passage.title);
  }
  const map = (id: string) => mapping.get(id) ?? id;
  const passages: Chain["passages"] = {};
  for (const [id, passage] of Object.entries(chain.passages)) passages[map(id)] = passage;
  return {
    missing,
    chain: {
      ...chain,
      entities: chain.entities.map((entity) => ({ ...entity, passageId: map(entity.passageId) })),
      hops: chain.hops.map((hop) => ({ ...hop, passageId: map(hop.passageId) })),
      evidenceIds: chain.evidenceIds.map(map),
      passages,
    },
  };
}

/** Find a page for a name: an exact title, else a top search hit whose title (without disambiguation) is the name. */
export function corpusPageLookup(corpus: Corpus): PageLookup {
  return async (name) => {
    const exact = corpus.getPage(name)[0];
    if (exact) return { passageId: exact.id, title: exact.title, text: exact.text };
    const hit = ((await corpus.search([name], 5))[0] ?? []).find(
      (candidate) => displayName(candidate.passage.title).toLowerCase() === name.toLowerCase(),
    );
    return hit ? { passageId: hit.passage.id, title: hit.passage.title, text: hit.passage.text } : undefined;
  };
}

/**
 * What the stage files depend on. Levels and --limit are not in it: items are keyed by source and level, so a
 * rerun with more levels or a higher limit resumes and extends.
 */
function runSettings(options: MultihopOptions): Record<string, unknown> {
  return {
    from: resolve(options.from),
    corpus: options.corpus.name,
    obfuscator: options.obfuscator.name,
    seed: options.seed ?? 0,
    topk: options.topk ?? 5,
    rollouts: options.solver?.rollouts ?? options.rollouts ?? 4,
    keep_trivial: options.keepTrivial === true,
    variants: options.variants ?? DEFAULT_VARIANTS,
    judge: options.judge?.name ?? "corpus-rank proxy",
    solver: options.solver?.name ?? "retrieval proxy",
  };
}

/** Record the settings of a new stage folder, or refuse a rerun whose settings differ, naming each difference. */
function checkRunSettings(work: string, settings: Record<string, unknown>): void {
  const path = join(work, SETTINGS_FILE);
  if (!existsSync(path)) {
    mkdirSync(work, { recursive: true });
    writeFileSync(path, `${JSON.stringify(settings, null, 2)}\n`);
    return;
  }
  const differing = differingSettings(JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>, settings);
  if (differing.length > 0)
    throw new ConfigError(
      `${work} holds the stage files of a run with other settings, so they cannot be reused:\n${differing.join("\n")}\n` +
        `use the original settings, another --out, or delete ${work} to start over`,
    );
}

function keyed<T extends Record<string, unknown>>(path: string, key: keyof T): Map<string, T> {
  const map = new Map<string, T>();
  for (const record of readJsonlRecords<T>(path)) map.set(String(record[key]), record);
  return map;
}

export async function synthesizeMultihop(options: MultihopOptions): Promise<MultihopResult> {
  const levels = options.levels ?? [1, 2, 3];
  if (levels.length === 0) throw new InputError("--levels must name at least one of 1, 2, 3");
  const files = outputPaths(options.out);
  let sources: SourceQuestion[] = loadSourceQuestions(options.from);
  if (options.limit !== undefined) sources = sources.slice(0, Math.max(0, options.limit));
  checkRunSettings(files.work, runSettings(options));
  const chainsPath = join(files.work, "chains.jsonl");
  const itemsPath = join(files.work, "items.jsonl");
  const checkedPath = join(files.work, "checked.jsonl");
  const chains = keyed<ChainLine & Record<string, unknown>>(chainsPath, "sourceId");
  const items = keyed<ItemLine & Record<string, unknown>>(itemsPath, "id");
  const checked = keyed<SynthRecord & Record<string, unknown>>(checkedPath, "id");
  const written = new Set(readJsonlRecords<SynthRecord>(files.records).map((record) => record.id));
  const chainWriter = new JsonlWriter(chainsPath);
  const itemWriter = new JsonlWriter(itemsPath);
  const checkedWriter = new JsonlWriter(checkedPath);
  const outWriter = new JsonlWriter(files.records);
  const lookupPage = corpusPageLookup(options.corpus);
  let keptCount = [...checked.values()].filter((record) => record.kept).length;
  const isDone = (source: SourceQuestion) =>
    levels.every(
      (level) =>
        checked.has(itemId(source.id, level)) ||
        items.get(itemId(source.id, level))?.ok === false ||
        chains.get(source.id)?.ok === false,
    );
  // A resumed run starts the count at what is done and counts only the rest, so it never passes the total.
  const doneBefore = new Set(sources.filter(isDone).map((source) => source.id));
  const progress = createProgress({
    label: "synth multihop",
    total: sources.length,
    start: doneBefore.size,
    quiet: options.quiet,
  });
  const advance = (source: SourceQuestion) => {
    if (!doneBefore.has(source.id)) progress.increment(1, { kept: keptCount });
  };
  try {
    for (const source of sources) {
      // The rule path never waits on I/O: yield to the event loop so a Ctrl-C handler gets to run.
      await setImmediate();
      if (options.signal?.aborted) throw new CancelledError("cancelled: run the same command again to resume");
      // Stage 1: chain.
      let chainLine = chains.get(source.id);
      if (!chainLine) {
        const extracted = extractChain(source);
        const provenance = {
          dataset: source.dataset,
          question: source.question,
          file: source.origin.file,
          line: source.origin.line,
        };
        if (extracted.ok) {
          const { chain, missing } = resolveChainIds(extracted.chain, options.corpus);
          chainLine =
            missing.length > 0
              ? {
                  sourceId: source.id,
                  ok: false,
                  reason: `evidence not in corpus ${options.corpus.name}: ${missing.join("; ")}`,
                  source: provenance,
                }
              : { sourceId: source.id, ok: true, chain, source: provenance };
        } else chainLine = { sourceId: source.id, ok: false, reason: extracted.reason, source: provenance };
        chainWriter.append(chainLine);
        chains.set(source.id, chainLine);
      }
      const chain = chainLine.chain;
      if (!chainLine.ok || !chain) {
        advance(source);
        continue;
      }
      // A level never repeats a question kept at a lower level of the same source.
      const keptQuestions = new Set<string>();
      for (const level of levels) {
        const id = itemId(source.id, level);
        // Stage 2: obfuscation.
        let itemLine = items.get(id);
        if (!itemLine) {
          const result = await options.obfuscator.obfuscate(chain, level, {
            lookupPage,
            signal: options.signal,
            variants: options.variants ?? DEFAULT_VARIANTS,
          });
          itemLine = result.ok
            ? {
                id,
                sourceId: source.id,
                level,
                ok: true,
                item: result.item,
                ...(result.alternatives ? { alternatives: result.alternatives } : {}),
              }
            : { id, sourceId: source.id, level, ok: false, reason: result.reason };
          itemWriter.append(itemLine);
          items.set(id, itemLine);
        }
        if (!itemLine.ok || !itemLine.item) continue;
        // Stages 3–4: checks and calibration.
        let record = checked.get(id);
        if (!record) {
          record = await checkVariants(
            [itemLine.item, ...(itemLine.alternatives ?? [])],
            keptQuestions,
            chain,
            chainLine.source,
            options,
          );
          checkedWriter.append(record);
          checked.set(id, record);
        }
        if (record.kept) keptQuestions.add(record.question);
        if (record.kept && !written.has(id)) {
          outWriter.append(record);
          written.add(id);
          keptCount += 1;
        }
      }
      advance(source);
    }
  } finally {
    progress.stop();
    chainWriter.close();
    itemWriter.close();
    checkedWriter.close();
    outWriter.close();
  }
  // Stage 5: exports, rebuilt from the stage files in source order.
  const order = new Map(sources.map((source, index) => [source.id, index]));
  const all = [...checked.values()]
    .filter((record) => order.has(record.source_id) && levels.includes(record.level))
    .sort((a, b) => (order.get(a.source_id) ?? 0) - (order.get(b.source_id) ?? 0) || a.level - b.level);
  const kept = all.filter((record) => record.kept);
  const dr9k = kept.map(toDr9k);
  writeJsonl(files.dr9k, dr9k);
  writeDr9kParquet(files.dr9kParquet, dr9k);
  writeRecordsParquet(files.parquet, kept);
  const itemLines = [...items.values()].filter((line) => order.has(line.sourceId) && levels.includes(line.level));
  const chainLines = sources.map((source) => chains.get(source.id)).filter((line) => line !== undefined) as ChainLine[];
  const report = buildReport({
    sources: sources.length,
    chains: chainLines,
    items: itemLines,
    records: all,
    levels,
    usage: options.tracker?.usage,
  });
  writeJsonl(files.report, [report]);
  return { report, files };
}

/**
 * Check a level's rewrites in order until one is kept: the kept one is the level's record, or the first when none
 * is. A rewrite identical to a question kept at a lower level is dropped ("repeats a lower level"). The record names
 * its variant and what the rewrites checked before it (or, when none is kept, after it) were dropped for.
 */
async function checkVariants(
  variants: readonly ObfuscatedItem[],
  keptQuestions: ReadonlySet<string>,
  chain: Chain,
  source: ChainLine["source"],
  options: MultihopOptions,
): Promise<SynthRecord> {
  const records: SynthRecord[] = [];
  for (const variant of variants) {
    const checked = await checkItem(variant, chain, source, options);
    const record = keptQuestions.has(variant.question)
      ? { ...checked, kept: false, drop_reasons: [...checked.drop_reasons, "repeats a lower level"] }
      : checked;
    options.tracker?.check();
    records.push(record);
    if (record.kept) break;
  }
  const chosen = records.findIndex((record) => record.kept);
  const index = Math.max(chosen, 0);
  const record = records[index] as SynthRecord;
  if (records.length === 1) return record;
  const others = records.filter((_, position) => position !== index);
  return {
    ...record,
    variant: index,
    other_variants: others.map((other) => ({ question: other.question, drop_reasons: other.drop_reasons })),
  };
}

async function checkItem(
  item: ObfuscatedItem,
  chain: Chain,
  source: ChainLine["source"],
  options: MultihopOptions,
): Promise<SynthRecord> {
  const answerUnchanged = answerUnchangedCheck(item, chain);
  const leakage = leakageCheck(item.question, [chain.answer, ...chain.aliases], item.hiddenNames, chain.question);
  const readability = readabilityCheck(item.question);
  const uniqueness = options.judge
    ? await options.judge.check(item, chain, options.signal)
    : await uniquenessProxyCheck(item, options.corpus);
  const oracle = await oracleSolve(item, chain, options.corpus, { topk: options.topk });
  let solvability = solvabilityCheck(oracle);
  let calibration: CalibrationResult;
  let trajectory: SynthRecord["trajectory"] = {
    source: oracle.solved ? "oracle" : "none",
    steps: oracle.solved ? oracle.steps : [],
    prediction: oracle.solved ? chain.answer : null,
  };
  if (options.solver) {
    const solved = await options.solver.solve(item, chain, options.signal);
    solvability = {
      passed: solved.solvedOnce,
      method: `agent:${options.solver.name}`,
      detail: {
        rollouts: options.solver.rollouts,
        pass_rate: solved.passRate,
        oracle: oracle.solved,
        ...solved.detail,
      },
    };
    calibration = {
      method: `agent:${options.solver.name}`,
      rollouts: options.solver.rollouts,
      passRate: solved.passRate,
      label: labelFor(solved.passRate, solved.solvedOnce),
    };
    if (solved.trajectory) trajectory = solved.trajectory;
  } else {
    calibration = await calibrateWithRetrieval(item, chain, options.corpus, oracle.solved, {
      rollouts: options.rollouts,
      seed: options.seed,
      topk: options.topk,
    });
  }
  const dropReasons: string[] = [];
  if (answerUnchanged.passed !== true) dropReasons.push("answer changed");
  if (leakage.passed !== true) dropReasons.push("leakage");
  if (readability.passed !== true) dropReasons.push("not readable");
  if (uniqueness.passed !== true) dropReasons.push("not unique");
  if (solvability.passed !== true || calibration.label === "unsolvable") dropReasons.push("unsolvable");
  if (calibration.label === "trivial" && !options.keepTrivial) dropReasons.push("trivial");
  return {
    id: item.id,
    question: item.question,
    answer: chain.answer,
    aliases: chain.aliases,
    level: item.level,
    source_id: chain.sourceId,
    source: { dataset: chain.dataset, question: source.question, file: source.file, line: source.line },
    chain: { kind: chain.kind, entities: chain.entities, hops: chain.hops },
    evidence_ids: chain.evidenceIds,
    obfuscator: item.obfuscator,
    replacements: item.replacements,
    checks: { answer_unchanged: answerUnchanged, leakage, readability, uniqueness, solvability },
    calibration: {
      method: calibration.method,
      rollouts: calibration.rollouts,
      pass_rate: calibration.passRate,
      label: calibration.label,
    },
    kept: dropReasons.length === 0,
    drop_reasons: dropReasons,
    trajectory,
  };
}
