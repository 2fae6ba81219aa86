/**
 * The workbench at scale: a folder generated here with a training run of 10,000 steps (20 scalars per step, a held-out
 * evaluation every 100 steps) and an evaluation run of 100,000 trajectories. Printed against the anchor of reading
 * and parsing the same JSONL files in plain Node: the time the server takes to list the runs, to answer the scalars
 * of the 10k-step run, Chromium's time to first paint of the runs list (next to the time it takes to load a bare
 * stylesheet from the same server, the browser's own floor) and to the drawn charts, and the page's JS heap.
 *
 *   npx tsx bench/workbench.ts
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { TRAJECTORY_VERSION } from "../src/core/trajectory.js";
import { startWorkbenchServer } from "../src/serve/workbench-server.js";

const STEPS = 10_000;
const TRAJECTORIES = 100_000;
const folder = mkdtempSync(join(tmpdir(), "drkit-bench-workbench-"));
const executablePath = process.env.DRKIT_CHROMIUM ?? "/usr/bin/chromium";

function generate(): { metrics: string; trajectories: string } {
  const training = join(folder, "train", "grpo-seed1");
  mkdirSync(training, { recursive: true });
  const names = Array.from({ length: 19 }, (_, i) => `scalar_${i}`);
  const lines: string[] = [];
  for (let step = 1; step <= STEPS; step++) {
    const row: Record<string, number> = { step, reward: Math.tanh(step / 3000) + 0.05 * Math.sin(step) };
    for (const [i, name] of names.entries()) row[name] = Math.cos(step / (50 + i)) + i;
    lines.push(JSON.stringify(row));
  }
  const metrics = join(training, "metrics.jsonl");
  writeFileSync(metrics, `${lines.join("\n")}\n`);
  const evaluation = Array.from({ length: STEPS / 100 + 1 }, (_, i) =>
    JSON.stringify({ step: i * 100, exact_match: Math.min(1, i / 120) }),
  );
  writeFileSync(join(training, "eval.jsonl"), `${evaluation.join("\n")}\n`);
  const evalRun = join(folder, "eval", "hotpotqa");
  mkdirSync(evalRun, { recursive: true });
  writeFileSync(join(evalRun, "manifest.json"), JSON.stringify({ version: 1, benchmark: "hotpotqa", k: 1 }));
  const record = (i: number) =>
    JSON.stringify({
      version: TRAJECTORY_VERSION,
      id: `t${i}`,
      questionId: `q${i}`,
      question: `Question number ${i} about some entity?`,
      goldAnswers: ["answer"],
      protocol: "react",
      messages: [{ role: "user", content: `Question number ${i}` }],
      turns: [
        { index: 0, text: "<answer>answer</answer>", action: "answer", usage: {}, startedAt: "2026-12-05T00:00:00Z" },
      ],
      usage: {},
      timings: { startedAt: "2026-12-05T00:00:00Z" },
      termination: "answer",
      prediction: "answer",
    });
  const trajectories = join(evalRun, "trajectories.jsonl");
  const chunk: string[] = [];
  writeFileSync(trajectories, "");
  for (let i = 0; i < TRAJECTORIES; i++) {
    chunk.push(record(i));
    if (chunk.length === 10_000) {
      writeFileSync(trajectories, `${chunk.join("\n")}\n`, { flag: "a" });
      chunk.length = 0;
    }
  }
  return { metrics, trajectories };
}

function timed<T>(work: () => T): { value: T; ms: number } {
  const started = performance.now();
  const value = work();
  return { value, ms: performance.now() - started };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

try {
  const files = generate();
  const parse = (path: string) =>
    readFileSync(path, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line));
  const anchorMetrics = median([0, 1, 2].map(() => timed(() => parse(files.metrics)).ms));
  const anchorTrajectories = median([0, 1, 2].map(() => timed(() => parse(files.trajectories)).ms));
  const server = await startWorkbenchServer({ path: folder });
  const fetchMs = async (path: string) => {
    const started = performance.now();
    const response = await fetch(`${server.url}${path}`);
    await response.arrayBuffer();
    return performance.now() - started;
  };
  const runsMs = median(await Promise.all([0, 1, 2].map(() => fetchMs("/api/runs"))));
  const scalarsMs = median([
    await fetchMs("/api/runs/scalars?id=train/grpo-seed1"),
    await fetchMs("/api/runs/scalars?id=train/grpo-seed1"),
    await fetchMs("/api/runs/scalars?id=train/grpo-seed1"),
  ]);
  const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
  const page = await browser.newPage();
  const bare = performance.now();
  await page.goto(`${server.url}/vendor/uPlot.min.css`);
  const bareMs = performance.now() - bare;
  const opened = performance.now();
  await page.goto(server.url);
  await page.waitForSelector('tr[data-run="train/grpo-seed1"]');
  const firstPaint = performance.now() - opened;
  const ticked = performance.now();
  await page.check('tr[data-run="train/grpo-seed1"] input');
  await page.waitForSelector('.chart[data-chart="reward"] canvas');
  const chartMs = performance.now() - ticked;
  const client = await page.context().newCDPSession(page);
  // The 100k-trajectory evaluation run in the trajectory viewer: the first open parses the file, a second is cached.
  const viewerOpened = performance.now();
  await page.goto(`${server.url}/viewer?source=eval/hotpotqa`);
  await page.waitForSelector("#detail-panel h2");
  const viewerMs = performance.now() - viewerOpened;
  const reopened = performance.now();
  await page.reload();
  await page.waitForSelector("#detail-panel h2");
  const viewerCachedMs = performance.now() - reopened;
  await client.send("Performance.enable");
  const { metrics } = (await client.send("Performance.getMetrics")) as { metrics: { name: string; value: number }[] };
  const heap = metrics.find((metric) => metric.name === "JSHeapUsedSize")?.value ?? 0;
  await browser.close();
  await server.close();
  const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  process.stdout.write(
    [
      `folder: 1 training run of ${STEPS.toLocaleString("en")} steps × 20 scalars, 1 evaluation run of ${TRAJECTORIES.toLocaleString("en")} trajectories`,
      "",
      "| measure | ms | × anchor |",
      "|---|---:|---:|",
      `| anchor: read + parse metrics.jsonl (10k rows) | ${anchorMetrics.toFixed(1)} | 1.00 |`,
      `| anchor: read + parse trajectories.jsonl (100k records) | ${anchorTrajectories.toFixed(1)} | — |`,
      `| GET /api/runs (discovery of the folder) | ${runsMs.toFixed(1)} | ${(runsMs / anchorTrajectories).toFixed(3)} × the 100k parse |`,
      `| GET /api/runs/scalars (10k steps) | ${scalarsMs.toFixed(1)} | ${(scalarsMs / anchorMetrics).toFixed(2)} |`,
      `| Chromium: a bare stylesheet from the server (the browser's floor) | ${bareMs.toFixed(0)} | ${(bareMs / anchorMetrics).toFixed(1)} |`,
      `| Chromium: page open → runs list painted | ${firstPaint.toFixed(0)} | ${(firstPaint / anchorMetrics).toFixed(1)} |`,
      `| Chromium: tick the run → charts drawn (every scalar's data, reward + eval shown) | ${chartMs.toFixed(0)} | ${(chartMs / anchorMetrics).toFixed(1)} |`,
      `| Chromium: the 100k-trajectory run in the viewer, first open → first record shown | ${viewerMs.toFixed(0)} | ${(viewerMs / anchorTrajectories).toFixed(2)} × the 100k parse |`,
      `| the same, opened again (parsed records cached) | ${viewerCachedMs.toFixed(0)} | ${(viewerCachedMs / anchorTrajectories).toFixed(2)} × the 100k parse |`,
      "",
      `page JS heap after the viewer: ${mb(heap)} MiB`,
      "",
    ].join("\n"),
  );
} finally {
  rmSync(folder, { recursive: true, force: true });
}
