/**
 * What the workbench shows of a synthesis output (`drkit synth multihop --out x.jsonl`): the report (`x.report.json`)
 * and, per source question, its L1→L2→L3 items with their replacements, checks and drop reasons
 * (`x.jsonl.work/checked.jsonl`) next to the evidence passages of its chain (`x.jsonl.work/chains.jsonl`).
 */
import { existsSync, readFileSync } from "node:fs";
import { readJsonlRows } from "./run-discovery.js";

export interface SynthesisSource {
  sourceId: string;
  question: string;
  answer: string;
  /** Items by level ("1" | "2" | "3"): the stored records, kept or dropped. */
  levels: Record<string, Record<string, unknown>>;
  /** The chain's evidence passages. */
  evidence: { id: string; title: string; text: string }[];
}

export interface SynthesisView {
  report: Record<string, unknown> | null;
  sources: SynthesisSource[];
  /** Sources left out past `limit`. */
  more: number;
  skipped: number;
}

/** The view of the synthesis output whose report is `reportPath`. */
export function synthesisView(reportPath: string, limit = 500): SynthesisView {
  const base = reportPath.replace(/\.report\.json$/, "");
  const work = `${base}.jsonl.work`;
  const report = existsSync(reportPath)
    ? (JSON.parse(readFileSync(reportPath, "utf8").split("\n")[0] ?? "null") as Record<string, unknown> | null)
    : null;
  const checked = readJsonlRows(`${work}/checked.jsonl`);
  const chains = readJsonlRows(`${work}/chains.jsonl`);
  const evidence = new Map<string, SynthesisSource["evidence"]>();
  for (const line of chains.rows) {
    const chain = line.chain as { passages?: Record<string, { title: string; text: string }> } | undefined;
    evidence.set(
      String(line.sourceId),
      Object.entries(chain?.passages ?? {}).map(([id, passage]) => ({ id, title: passage.title, text: passage.text })),
    );
  }
  const bySource = new Map<string, SynthesisSource>();
  for (const record of checked.rows) {
    const sourceId = String(record.source_id);
    let source = bySource.get(sourceId);
    if (!source) {
      const origin = record.source as { question?: string } | undefined;
      source = {
        sourceId,
        question: origin?.question ?? "",
        answer: String(record.answer ?? ""),
        levels: {},
        evidence: evidence.get(sourceId) ?? [],
      };
      bySource.set(sourceId, source);
    }
    source.levels[String(record.level)] = record;
  }
  const sources = [...bySource.values()];
  return {
    report,
    sources: sources.slice(0, limit),
    more: Math.max(0, sources.length - limit),
    skipped: checked.skipped + chains.skipped,
  };
}
