/**
 * Regenerates the screenshots in docs/images/ with Debian's Chromium (playwright-core): the workbench on the
 * bundled learning-check results, three GRPO seeds overlaid; the trajectory viewer on the example evaluation run;
 * and, given the folder of a `drkit synth multihop` output, its synthesis page.
 *
 *   npx drkit synth multihop --from data/hotpotqa/questions.jsonl --corpus hotpotqa --limit 20 --out runs/synth/hotpotqa.jsonl
 *   npx tsx test/docs/screenshots.ts runs/synth
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { startViewerServer } from "../../src/serve/viewer-server.js";
import { startWorkbenchServer } from "../../src/serve/workbench-server.js";

const executablePath = process.env.DRKIT_CHROMIUM ?? "/usr/bin/chromium";
const synthesisRoot = process.argv[2];
const out = join(process.cwd(), "docs", "images");
mkdirSync(out, { recursive: true });
const server = await startWorkbenchServer({ path: join(process.cwd(), "docs", "results", "learning-check") });
const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
  await page.goto(server.url);
  await page.waitForSelector('tr[data-run="grpo-seed1"]');
  for (const seed of [1, 2, 3]) await page.check(`tr[data-run="grpo-seed${seed}"] input`);
  await page.waitForSelector('.chart[data-chart="reward"] canvas');
  await page.locator("#smoothing").fill("0.6");
  await page.locator("#smoothing").dispatchEvent("input");
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(out, "workbench-training.png"), fullPage: true });
  process.stdout.write(`wrote ${join(out, "workbench-training.png")}\n`);
  // Two evaluation runs compared item by item: the example run, and a copy whose first two answers are wrong.
  const evals = mkdtempSync(join(tmpdir(), "drkit-screenshots-"));
  try {
    for (const name of ["example-a", "example-b"])
      cpSync(join(process.cwd(), "examples", "eval-run"), join(evals, name), { recursive: true });
    const second = join(evals, "example-b", "trajectories.jsonl");
    const records = readFileSync(second, "utf8").trim().split("\n");
    const wrong = records.map((line, index) => {
      const record = JSON.parse(line);
      if (index < 2)
        Object.assign(record, { prediction: "Nobody", reward: { ...record.reward, components: { em: 0 } } });
      return JSON.stringify(record);
    });
    writeFileSync(second, `${wrong.join("\n")}\n`);
    const compare = await startWorkbenchServer({ path: evals });
    try {
      await page.goto(compare.url);
      await page.check('input[data-compare="example-a"]');
      await page.check('input[data-compare="example-b"]');
      await page.waitForSelector("#compare-items tbody tr");
      await page.locator("#compare-panel").screenshot({ path: join(out, "workbench-compare.png") });
      process.stdout.write(`wrote ${join(out, "workbench-compare.png")}\n`);
    } finally {
      await compare.close();
    }
  } finally {
    rmSync(evals, { recursive: true, force: true });
  }
  // The trajectory viewer on the bundled example evaluation run.
  const viewer = await startViewerServer({ path: join(process.cwd(), "examples", "eval-run") });
  try {
    await page.goto(viewer.url);
    await page.waitForSelector("#detail-panel h2");
    await page.screenshot({ path: join(out, "viewer-trajectory.png") });
    process.stdout.write(`wrote ${join(out, "viewer-trajectory.png")}\n`);
  } finally {
    await viewer.close();
  }
  if (synthesisRoot) {
    const synthesis = await startWorkbenchServer({ path: synthesisRoot });
    try {
      await page.goto(synthesis.url);
      await page.click('a[data-open="synthesis"]');
      await page.waitForSelector('.level[data-level="3"]');
      await page.locator("#synthesis-panel").screenshot({ path: join(out, "workbench-synthesis.png") });
      process.stdout.write(`wrote ${join(out, "workbench-synthesis.png")}\n`);
    } finally {
      await synthesis.close();
    }
  }
} finally {
  await browser.close();
  await server.close();
}
