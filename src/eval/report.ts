/**
 * Reports of an eval run: `metrics.json`, `report.md` (tables) and a self-contained `report.html` (inline
 * SVG charts: accuracy by level, turns histogram, cost by level). `compareRuns` puts several runs side by side.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Trajectory } from "../core/trajectory.js";
import { itemResultFromTrajectory } from "./items.js";
import {
  type AccuracyMetrics,
  type AgentStatistics,
  accuracyMetrics,
  agentStatistics,
  breakdown,
  calibrationError,
  type Disagreement,
  type ItemResult,
  judgeDisagreements,
  type ThreeWayMetrics,
  threeWayMetrics,
} from "./metrics.js";
import { type EvalManifest, readManifest, readRunTrajectories } from "./run-store.js";

export interface RunReport {
  manifest: EvalManifest;
  /** Stored items / expected items (questions × k). */
  progress: { stored: number; expected: number };
  /** What `correct` means: the judge's verdict or exact match. */
  scoredBy: string;
  overall: AccuracyMetrics;
  em: AccuracyMetrics;
  byLevel: Record<string, AccuracyMetrics>;
  bySource: Record<string, AccuracyMetrics>;
  agent: AgentStatistics;
  meanF1: number;
  /** With `drkit eval --reward`: the named reward's mean over the rollouts that carry it. */
  reward?: { name: string; mean: number; count: number };
  threeWay?: ThreeWayMetrics;
  calibrationError?: number;
  disagreements: Disagreement[];
  errors: { questionId: string; sample: number; message: string }[];
}

export function computeRunReport(manifest: EvalManifest, trajectories: readonly Trajectory[]): RunReport {
  const judge = manifest.judge ?? undefined;
  const items = trajectories.map((trajectory) => itemResultFromTrajectory(trajectory, judge));
  const emItems: ItemResult[] = items.map((item) => ({
    ...item,
    correct: item.prediction === null ? false : item.em === 1,
  }));
  const threeWay = threeWayMetrics(items);
  const calibration = calibrationError(items);
  const f1s = items.map((item) => item.f1 ?? 0);
  const rewardName = manifest.reward ?? undefined;
  const rewardScores = rewardName
    ? trajectories.filter((trajectory) => trajectory.reward?.name === rewardName).map((t) => t.reward?.score ?? 0)
    : [];
  return {
    manifest,
    progress: { stored: trajectories.length, expected: manifest.questionIds.length * manifest.k },
    scoredBy: judge ? `judge ${judge}` : "exact match",
    overall: accuracyMetrics(items),
    em: accuracyMetrics(emItems),
    byLevel: breakdown(items, "level"),
    bySource: breakdown(items, "source"),
    agent: agentStatistics(items),
    meanF1: f1s.length ? f1s.reduce((sum, value) => sum + value, 0) / f1s.length : 0,
    ...(rewardName
      ? {
          reward: {
            name: rewardName,
            mean: rewardScores.length ? rewardScores.reduce((sum, value) => sum + value, 0) / rewardScores.length : 0,
            count: rewardScores.length,
          },
        }
      : {}),
    ...(threeWay ? { threeWay } : {}),
    ...(calibration !== undefined ? { calibrationError: calibration } : {}),
    disagreements: judge ? judgeDisagreements(items) : [],
    errors: trajectories
      .filter((trajectory) => trajectory.error)
      .map((trajectory) => ({
        questionId: trajectory.questionId ?? trajectory.id,
        sample: trajectory.sample,
        message: trajectory.error?.message ?? "",
      })),
  };
}

const pct = (value: number) => `${(value * 100).toFixed(1)}`;

function accuracyRow(name: string, metrics: AccuracyMetrics): string {
  const passK = metrics.passAtK[String(metrics.k)] ?? 0;
  return `| ${name} | ${metrics.questions} | ${pct(metrics.pass1)} | ${pct(metrics.avgAtK)} | ${pct(metrics.bestPass1)} | ${pct(passK)} | ${pct(metrics.consAtK)} | ${metrics.unscored} |`;
}

const ACCURACY_HEADER =
  "| | questions | Pass@1 (run 1) | Avg@k | Best Pass@1 | Pass@k | Cons@k | unscored |\n|---|---|---|---|---|---|---|---|";

export function renderMarkdown(report: RunReport): string {
  const { manifest, overall, agent } = report;
  const lines: string[] = [];
  lines.push(`# Eval report: ${manifest.benchmark}`);
  lines.push("");
  lines.push(
    `model \`${manifest.model ?? "-"}\` · protocol \`${manifest.protocol}\` · search \`${manifest.search ?? "-"}\` · k = ${manifest.k} · correctness by ${report.scoredBy}${manifest.judgeModel ? ` (\`${manifest.judgeModel}\`)` : ""}`,
  );
  lines.push(`stored ${report.progress.stored} of ${report.progress.expected} rollouts; started ${manifest.createdAt}`);
  lines.push("");
  lines.push("## Accuracy (%)");
  lines.push("");
  lines.push(ACCURACY_HEADER);
  lines.push(accuracyRow("overall", overall));
  if (manifest.judge) lines.push(accuracyRow("exact match", report.em));
  lines.push("");
  lines.push(`Pass@1 per run: ${overall.pass1PerRun.map(pct).join(", ")}. Mean token F1: ${pct(report.meanF1)}.`);
  if (report.reward)
    lines.push(
      `Mean reward (${report.reward.name}): ${report.reward.mean.toFixed(3)} over ${report.reward.count} rollouts.`,
    );
  if (report.threeWay) {
    const t = report.threeWay;
    lines.push(
      `SimpleQA grades: correct ${pct(t.correct)}, incorrect ${pct(t.incorrect)}, not attempted ${pct(t.notAttempted)}, accuracy given attempted ${pct(t.accuracyGivenAttempted)}, F ${pct(t.f)}.`,
    );
  }
  if (report.calibrationError !== undefined) lines.push(`Calibration error: ${report.calibrationError.toFixed(1)}%.`);
  for (const [title, groups] of [
    ["By level", report.byLevel],
    ["By source", report.bySource],
  ] as const) {
    if (Object.keys(groups).length < 2) continue;
    lines.push("", `## ${title}`, "", ACCURACY_HEADER);
    for (const [name, metrics] of Object.entries(groups)) lines.push(accuracyRow(name, metrics));
  }
  lines.push("", "## Agent", "");
  lines.push("| turns | tool calls | tokens | cost (USD) | seconds | turns (correct) | tool calls (correct) |");
  lines.push("|---|---|---|---|---|---|---|");
  lines.push(
    `| ${agent.meanTurns.toFixed(2)} | ${agent.meanToolCalls.toFixed(2)} | ${agent.meanTokens.toFixed(0)} | ${agent.totalCostUsd.toFixed(4)} | ${(agent.meanDurationMs / 1000).toFixed(2)} | ${agent.correctMeanTurns.toFixed(2)} | ${agent.correctMeanToolCalls.toFixed(2)} |`,
  );
  lines.push("", "Means per rollout; cost is the total.", "", "| termination | count |", "|---|---|");
  for (const [label, count] of Object.entries(agent.terminations).sort((a, b) => b[1] - a[1]))
    lines.push(`| ${label} | ${count} |`);
  if (report.disagreements.length) {
    lines.push("", `## Judge vs exact match (${report.disagreements.length} disagreements)`, "");
    lines.push("| question | sample | prediction | EM | judge |", "|---|---|---|---|---|");
    for (const entry of report.disagreements.slice(0, 200))
      lines.push(
        `| ${entry.questionId} | ${entry.sample} | ${(entry.prediction ?? "").replace(/\|/g, "\\|").replace(/\s+/g, " ").slice(0, 80)} | ${entry.em} | ${entry.judge ? "correct" : "wrong"} |`,
      );
  }
  if (report.errors.length) {
    lines.push("", `## Errors (${report.errors.length})`, "");
    for (const error of report.errors.slice(0, 50))
      lines.push(`- ${error.questionId} #${error.sample}: ${error.message.replace(/\s+/g, " ").slice(0, 200)}`);
  }
  return `${lines.join("\n")}\n`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** A horizontal bar chart as inline SVG. */
export function svgBarChart(
  title: string,
  entries: [string, number][],
  format: (value: number) => string,
  maxValue?: number,
): string {
  const rowHeight = 22;
  const labelWidth = 150;
  const barWidth = 320;
  const height = 30 + entries.length * rowHeight;
  const max = maxValue ?? Math.max(1e-12, ...entries.map(([, value]) => value));
  const rows = entries
    .map(([label, value], index) => {
      const y = 24 + index * rowHeight;
      const width = Math.max(0, (value / max) * barWidth);
      return `<text x="${labelWidth - 6}" y="${y + 14}" text-anchor="end">${escapeHtml(label.slice(0, 22))}</text><rect x="${labelWidth}" y="${y}" width="${width.toFixed(1)}" height="${rowHeight - 6}" fill="#4a7bd0"/><text x="${labelWidth + width + 4}" y="${y + 14}">${escapeHtml(format(value))}</text>`;
    })
    .join("");
  return `<figure><svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + barWidth + 80}" height="${height}" font-family="sans-serif" font-size="12" role="img" aria-label="${escapeHtml(title)}"><text x="0" y="14" font-weight="bold">${escapeHtml(title)}</text>${rows}</svg></figure>`;
}

/** Markdown tables → HTML (only the subset renderMarkdown writes). */
function markdownToHtml(markdown: string): string {
  const out: string[] = [];
  let table: string[][] = [];
  const flush = () => {
    if (!table.length) return;
    const [head, , ...body] = table;
    out.push(
      `<table><thead><tr>${(head ?? []).map((cell) => `<th>${cell}</th>`).join("")}</tr></thead><tbody>${body.map((row) => `<tr>${row.map((cell) => `<td>${cell}</td>`).join("")}</tr>`).join("")}</tbody></table>`,
    );
    table = [];
  };
  for (const line of markdown.split("\n")) {
    if (line.startsWith("|")) {
      table.push(
        line
          .slice(1, -1)
          .split(/(?<!\\)\|/)
          .map((cell) => escapeHtml(cell.trim().replace(/\\\|/g, "|"))),
      );
      continue;
    }
    flush();
    if (line.startsWith("# ")) out.push(`<h1>${escapeHtml(line.slice(2))}</h1>`);
    else if (line.startsWith("## ")) out.push(`<h2>${escapeHtml(line.slice(3))}</h2>`);
    else if (line.startsWith("- ")) out.push(`<li>${escapeHtml(line.slice(2))}</li>`);
    else if (line.trim()) out.push(`<p>${escapeHtml(line).replace(/`([^`]*)`/g, "<code>$1</code>")}</p>`);
  }
  flush();
  return out.join("\n");
}

export function renderHtml(report: RunReport): string {
  const levelEntries = Object.entries(report.byLevel).map(
    ([name, metrics]) => [name, metrics.avgAtK] as [string, number],
  );
  const turns = Object.entries(report.agent.turnsHistogram)
    .sort((a, b) => Number(a[0]) - Number(b[0]))
    .map(([turnCount, count]) => [`${turnCount} turns`, count] as [string, number]);
  const charts = [
    svgBarChart(
      "Accuracy (Avg@k) by level",
      levelEntries.length ? levelEntries : [["overall", report.overall.avgAtK]],
      (value) => `${pct(value)}%`,
      1,
    ),
    svgBarChart("Turns per rollout", turns, (value) => String(value)),
    svgBarChart("Termination reasons", Object.entries(report.agent.terminations), (value) => String(value)),
    svgBarChart(
      "Spend (USD) and tokens",
      [
        ["total cost", report.agent.totalCostUsd],
        ["tokens / 1e6", report.agent.totalTokens / 1e6],
      ],
      (value) => value.toFixed(4),
    ),
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>drkit eval: ${escapeHtml(report.manifest.benchmark)}</title>
<style>body{font-family:sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}table{border-collapse:collapse;margin:0.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}figure{display:inline-block;margin:0.5em 1em 0.5em 0}code{background:#f3f3f3;padding:0 3px}</style>
</head><body>
${markdownToHtml(renderMarkdown(report))}
<h2>Charts</h2>
${charts.join("\n")}
</body></html>
`;
}

/** Rebuild metrics.json, report.md and report.html of a run directory; returns the report. */
export function writeRunReport(runDirectory: string): RunReport {
  const report = computeRunReport(readManifest(runDirectory), readRunTrajectories(runDirectory));
  writeFileSync(join(runDirectory, "metrics.json"), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(runDirectory, "report.md"), renderMarkdown(report));
  writeFileSync(join(runDirectory, "report.html"), renderHtml(report));
  return report;
}

/** A markdown table comparing runs (same benchmark or not: the table says which). */
export function compareRuns(runDirectories: readonly string[]): string {
  const lines = [
    "| run | benchmark | model | protocol | k | stored | Pass@1 | Avg@k | Best Pass@1 | Pass@k | Cons@k | EM Avg@k | turns | cost (USD) |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const directory of runDirectories) {
    const report = computeRunReport(readManifest(directory), readRunTrajectories(directory));
    const { overall, manifest } = report;
    lines.push(
      `| ${directory} | ${manifest.benchmark} | ${manifest.model ?? "-"} | ${manifest.protocol} | ${manifest.k} | ${report.progress.stored}/${report.progress.expected} | ${pct(overall.pass1)} | ${pct(overall.avgAtK)} | ${pct(overall.bestPass1)} | ${pct(overall.passAtK[String(overall.k)] ?? 0)} | ${pct(overall.consAtK)} | ${pct(report.em.avgAtK)} | ${report.agent.meanTurns.toFixed(2)} | ${report.agent.totalCostUsd.toFixed(4)} |`,
    );
  }
  return `${lines.join("\n")}\n`;
}
