/** The synthesis report: per-level counts, check pass counts, oracle solve rates and calibration labels. */
import type { Usage } from "../core/trajectory.js";
import type { DifficultyLabel, Level, SynthRecord } from "./types.js";

export interface LevelReport {
  level: Level;
  /** Obfuscation attempts (sources with a chain). */
  attempted: number;
  produced: number;
  skipped: Record<string, number>;
  checks: { answer_unchanged: number; leakage_free: number; readable: number; unique: number; solvable: number };
  /** Items the readability gate failed, by rule (an item can fail several). */
  readability_failures: Record<string, number>;
  labels: Record<DifficultyLabel, number>;
  /** Mean calibration pass rate over produced items (null when none). */
  mean_pass_rate: number | null;
  kept: number;
  /** Leaked items among the kept (must be 0). */
  kept_leaking: number;
  /** Oracle / agent solve rate among kept items. */
  kept_solvable_rate: number | null;
  drop_reasons: Record<string, number>;
  /** Kept items by which of the obfuscator's rewrites they are ("0": its preferred one). */
  kept_by_variant: Record<string, number>;
  /** Kept items whose only change is values made vague (an L3 of a question no entity of which can be described). */
  kept_values_only: number;
}

export interface SynthReport {
  sources: number;
  chains: number;
  no_chain: Record<string, number>;
  levels: LevelReport[];
  kept: number;
  usage?: Usage;
}

function bump(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

function shortReason(reason: string): string {
  return reason.replace(/:.*$/, "");
}

export function buildReport(input: {
  sources: number;
  chains: readonly { ok: boolean; reason?: string }[];
  items: readonly { level: Level; ok: boolean; reason?: string }[];
  records: readonly SynthRecord[];
  levels: readonly Level[];
  usage?: Usage;
}): SynthReport {
  const noChain: Record<string, number> = {};
  for (const line of input.chains) if (!line.ok) bump(noChain, shortReason(line.reason ?? "unknown"));
  const chains = input.chains.filter((line) => line.ok).length;
  const levels = input.levels.map((level): LevelReport => {
    const records = input.records.filter((record) => record.level === level);
    const skipped: Record<string, number> = {};
    for (const line of input.items) if (line.level === level && !line.ok) bump(skipped, line.reason ?? "unknown");
    const labels: Record<DifficultyLabel, number> = { trivial: 0, medium: 0, hard: 0, unsolvable: 0 };
    const dropReasons: Record<string, number> = {};
    const readabilityFailures: Record<string, number> = {};
    let passRateSum = 0;
    let passRateCount = 0;
    for (const record of records) {
      labels[record.calibration.label] += 1;
      if (record.calibration.pass_rate !== null) {
        passRateSum += record.calibration.pass_rate;
        passRateCount += 1;
      }
      for (const reason of record.drop_reasons) bump(dropReasons, reason);
      const failed = (record.checks.readability?.detail as { failed?: string[] } | undefined)?.failed ?? [];
      for (const rule of failed) bump(readabilityFailures, rule);
    }
    const kept = records.filter((record) => record.kept);
    const count = (pick: (record: SynthRecord) => boolean) => records.filter(pick).length;
    const keptByVariant: Record<string, number> = {};
    for (const record of kept) bump(keptByVariant, String(record.variant ?? 0));
    const valuesOnly = (record: SynthRecord) =>
      record.replacements.length > 0 &&
      record.replacements.every((r) => r.kind === "date-period" || r.kind === "number-range");
    return {
      level,
      attempted: chains,
      produced: records.length,
      skipped,
      checks: {
        answer_unchanged: count((record) => record.checks.answer_unchanged.passed === true),
        leakage_free: count((record) => record.checks.leakage.passed === true),
        readable: count((record) => record.checks.readability?.passed !== false),
        unique: count((record) => record.checks.uniqueness.passed === true),
        solvable: count((record) => record.checks.solvability.passed === true),
      },
      labels,
      mean_pass_rate: passRateCount > 0 ? passRateSum / passRateCount : null,
      kept: kept.length,
      kept_leaking: kept.filter((record) => record.checks.leakage.passed !== true).length,
      kept_solvable_rate:
        kept.length > 0
          ? kept.filter((record) => record.checks.solvability.passed === true).length / kept.length
          : null,
      drop_reasons: dropReasons,
      readability_failures: readabilityFailures,
      kept_by_variant: keptByVariant,
      kept_values_only: kept.filter(valuesOnly).length,
    };
  });
  return {
    sources: input.sources,
    chains,
    no_chain: noChain,
    levels,
    kept: levels.reduce((sum, level) => sum + level.kept, 0),
    ...(input.usage ? { usage: input.usage } : {}),
  };
}

/** What to do when no source question gave a chain: most often the corpus holds another dataset's passages. */
function noChainHint(reasons: Record<string, number>): string {
  const listed = Object.entries(reasons)
    .map(([reason, n]) => `${reason} ×${n}`)
    .join(", ");
  const wrongCorpus = Object.keys(reasons).some((reason) => reason.startsWith("evidence not in corpus"));
  return wrongCorpus
    ? `No source question gave a chain (${listed}): the corpus does not hold this dataset's evidence paragraphs. ` +
        "Build one from the same dataset (e.g. drkit corpus build hotpotqa --from data/hotpotqa/corpus.jsonl) and pass it as --corpus."
    : `No source question gave a chain (${listed}): check that --from is a multi-hop file with supporting paragraphs (HotpotQA, MuSiQue, 2Wiki).`;
}

function percent(part: number, whole: number): string {
  return whole === 0 ? "–" : `${((100 * part) / whole).toFixed(1)}%`;
}

/** A Markdown table of the report (printed by the CLI and pasted into docs/synth.md). */
export function formatReport(report: SynthReport): string {
  const header =
    "| Level | Produced | Answer unchanged | Leakage-free | Readable | Unique (proxy) | Oracle-solvable | Trivial / medium / hard / unsolvable | Mean pass rate | Kept | Kept leaking | Kept solvable |";
  const rule = "|---|---|---|---|---|---|---|---|---|---|---|---|";
  const rows = report.levels.map((level) => {
    const produced = level.produced;
    const labels = `${level.labels.trivial} / ${level.labels.medium} / ${level.labels.hard} / ${level.labels.unsolvable}`;
    return `| L${level.level} | ${produced} of ${level.attempted} | ${percent(level.checks.answer_unchanged, produced)} | ${percent(level.checks.leakage_free, produced)} | ${percent(level.checks.readable, produced)} | ${percent(level.checks.unique, produced)} | ${percent(level.checks.solvable, produced)} | ${labels} | ${level.mean_pass_rate === null ? "–" : level.mean_pass_rate.toFixed(2)} | ${level.kept} | ${level.kept_leaking} | ${level.kept_solvable_rate === null ? "–" : `${(100 * level.kept_solvable_rate).toFixed(1)}%`} |`;
  });
  const lines = [
    `Sources: ${report.sources}, chains: ${report.chains}, kept: ${report.kept}`,
    "",
    header,
    rule,
    ...rows,
  ];
  for (const level of report.levels) {
    const skipped = Object.entries(level.skipped).map(([reason, n]) => `${reason} ×${n}`);
    const dropped = Object.entries(level.drop_reasons).map(([reason, n]) => `${reason} ×${n}`);
    const unreadable = Object.entries(level.readability_failures).map(([rule, n]) => `${rule} ×${n}`);
    const later = Object.entries(level.kept_by_variant)
      .filter(([variant]) => variant !== "0")
      .reduce((sum, [, n]) => sum + n, 0);
    const keptNotes = [
      ...(later > 0 ? [`kept from a later rewrite ×${later}`] : []),
      ...(level.kept_values_only > 0 ? [`kept with values made vague only ×${level.kept_values_only}`] : []),
    ];
    if (skipped.length > 0 || dropped.length > 0)
      lines.push(
        `L${level.level}: not produced: ${skipped.join(", ") || "none"}; dropped: ${dropped.join(", ") || "none"}${unreadable.length > 0 ? `; readability gate: ${unreadable.join(", ")}` : ""}${keptNotes.length > 0 ? `; ${keptNotes.join(", ")}` : ""}`,
      );
  }
  if (report.sources > 0 && report.chains === 0) lines.push(noChainHint(report.no_chain));
  if (report.usage)
    lines.push(
      `Usage: ${report.usage.llmCalls} model calls, ${report.usage.totalTokens} tokens, $${report.usage.costUsd.toFixed(4)}`,
    );
  return lines.join("\n");
}
