/**
 * The workbench in a real browser (Debian's Chromium driven by playwright-core, as the viewer test): the bundled
 * learning-check results and a live training run; the curves of 3 seeds drawn together, a click pins a value, a step
 * appended to a running run makes its chart grow, no console error and no request leaves 127.0.0.1.
 */
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCorpus } from "../src/corpus/build.js";
import { openCorpus } from "../src/corpus/sqlite-corpus.js";
import { writeRunReport } from "../src/eval/report.js";
import { discoverRuns, runAt } from "../src/serve/run-discovery.js";
import { startWorkbenchServer } from "../src/serve/workbench-server.js";
import { synthesizeMultihop } from "../src/synth/multihop.js";
import { RuleObfuscator } from "../src/synth/obfuscate.js";

const executablePath = process.env.DRKIT_CHROMIUM ?? "/usr/bin/chromium";
const available = existsSync(executablePath);
if (!available && process.env.CI) throw new Error(`Chromium not found at ${executablePath}; .ci/run installs it`);

const folder = mkdtempSync(join(tmpdir(), "drkit-workbench-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
const results = join(process.cwd(), "docs/results/learning-check");
for (const seed of [1, 2, 3])
  cpSync(join(results, `grpo-seed${seed}`), join(folder, "learning-check", `grpo-seed${seed}`), { recursive: true });
const live = join(folder, "live", "run-a");
mkdirSync(live, { recursive: true });
const step = (n: number) => `${JSON.stringify({ step: n, reward: 0.1 * n, entropy: 1 / n })}\n`;
writeFileSync(join(live, "metrics.jsonl"), `${step(1)}${step(2)}{half a line`);
writeFileSync(join(folder, "live", "notes.jsonl"), '{"not": "a trajectory"}\n');
const broken = join(folder, "live", "run-b");
mkdirSync(broken, { recursive: true });
writeFileSync(join(broken, "metrics.jsonl"), step(1));
writeFileSync(
  join(broken, "status.json"),
  JSON.stringify({ status: "failed", at: "2026-12-05T00:00:00Z", error: "the disk is full" }),
);
cpSync(join(process.cwd(), "examples/eval-run"), join(folder, "evals", "example"), { recursive: true });
writeRunReport(join(folder, "evals", "example"));
// A second run of the same questions whose first two answers are wrong.
cpSync(join(process.cwd(), "examples/eval-run"), join(folder, "evals", "example-b"), { recursive: true });
const second = join(folder, "evals", "example-b", "trajectories.jsonl");
const flipped = readFileSync(second, "utf8")
  .trim()
  .split("\n")
  .map((line, index) => {
    const record = JSON.parse(line);
    if (index < 2) {
      record.prediction = "Nobody";
      record.reward.components.em = 0;
    }
    return JSON.stringify(record);
  });
writeFileSync(second, `${flipped.join("\n")}\n`);

beforeAll(async () => {
  // A real synthesis output: the first 5 HotpotQA questions through the rule path.
  const home = join(folder, ".home");
  await buildCorpus({ name: "hotpotqa", from: ["data/hotpotqa/corpus.jsonl"], home, quiet: true });
  const corpus = openCorpus("hotpotqa", { home });
  try {
    await synthesizeMultihop({
      from: "data/hotpotqa/questions.jsonl",
      corpus,
      out: join(folder, "synth", "hotpotqa.jsonl"),
      obfuscator: new RuleObfuscator(),
      limit: 5,
      quiet: true,
    });
  } finally {
    corpus.close();
  }
}, 60_000);

describe("run discovery", () => {
  it("finds training runs by their files at any depth, and skips what is not a run", () => {
    const runs = discoverRuns(folder);
    expect(runs.map((run) => [run.id, run.kind])).toEqual([
      ["evals/example", "evaluation"],
      ["evals/example-b", "evaluation"],
      ["learning-check/grpo-seed1", "training"],
      ["learning-check/grpo-seed2", "training"],
      ["learning-check/grpo-seed3", "training"],
      ["live/run-a", "training"],
      ["live/run-b", "training"],
      ["synth/hotpotqa.report.json", "synthesis"],
    ]);
    expect(runs.find((run) => run.id === "live/run-a")?.status).toBe("running");
    expect(runs.find((run) => run.id === "live/run-b")).toMatchObject({ status: "failed", error: "the disk is full" });
    // Looking one run up gives what the listing gives, without walking; nothing outside the listing is found.
    for (const run of runs) expect(runAt(folder, run.id)).toEqual(run);
    expect(runAt(folder, "../")).toBeUndefined();
    expect(runAt(folder, "live")).toBeUndefined();
    expect(runAt(folder, ".home")).toBeUndefined();
    expect(runAt(folder, "live/notes.jsonl")).toBeUndefined();
  });
});

describe.runIf(available)("workbench page in Chromium", () => {
  it("overlays 3 seeds, pins a clicked value, grows a live run's chart, with no error and no outside request", async () => {
    const server = await startWorkbenchServer({ path: folder });
    const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
    const errors: string[] = [];
    const outside: string[] = [];
    try {
      const page = await browser.newPage();
      page.on("console", (message) => {
        if (message.type() === "error") errors.push(message.text());
      });
      page.on("pageerror", (error) => errors.push(error.message));
      page.on("request", (request) => {
        if (!request.url().startsWith(server.url)) outside.push(request.url());
      });
      await page.goto(server.url);
      await page.waitForSelector('tr[data-run="learning-check/grpo-seed3"]');
      expect(await page.locator("#runs tbody tr").count()).toBe(8);
      expect(await page.locator('tr[data-run="live/run-b"] .status').getAttribute("title")).toBe("the disk is full");
      // Headlines arrive after the list is painted.
      await expect
        .poll(() => page.locator('tr[data-run="learning-check/grpo-seed1"] .headline').textContent())
        .toMatch(/^held-out EM 0\.\d{3} @ 100$/);
      for (const seed of [1, 2, 3]) await page.check(`tr[data-run="learning-check/grpo-seed${seed}"] input`);
      const reward = page.locator('.chart[data-chart="reward"]');
      await reward.waitFor();
      // One series per seed in the legend, and a drawn canvas.
      expect(await reward.locator(".u-legend .u-series").count()).toBe(4);
      expect(await reward.locator("canvas").count()).toBe(1);
      const box = await reward.locator(".u-over").boundingBox();
      if (!box) throw new Error("no plot area");
      await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
      await expect
        .poll(() => page.locator("#picked").textContent())
        .toMatch(
          /^reward @ step \d+: learning-check\/grpo-seed1=[\d.]+ {2}learning-check\/grpo-seed2=[\d.]+ {2}learning-check\/grpo-seed3=[\d.]+$/,
        );
      // The held-out curve is there too, from eval.jsonl.
      expect(await page.locator('.chart[data-chart="eval:exact_match"]').count()).toBe(1);
      // A live run: a step appended to metrics.jsonl reaches the chart within a refresh.
      await page.check('tr[data-run="live/run-a"] input');
      const stepsShown = () =>
        page.evaluate(() => {
          const state = (globalThis as { workbench?: { charts: { name: string; plot: { data: number[][] } }[] } })
            .workbench;
          const reward = state?.charts.find((chart) => chart.name === "reward");
          return reward?.plot.data[0]?.length ?? 0;
        });
      const before = await stepsShown();
      appendFileSync(join(live, "metrics.jsonl"), `\n${step(500)}`);
      await expect.poll(stepsShown, { timeout: 8_000 }).toBe(before + 1);
      // The synthesis output: counts per level, and the L1→L3 chain of the first source with its evidence.
      await page.click('tr[data-run="synth/hotpotqa.report.json"] a[data-open="synthesis"]');
      await page.waitForSelector('#synthesis-levels tr[data-level="3"]');
      expect(await page.locator("#synthesis-sources li").count()).toBe(5);
      expect(await page.locator('.level[data-level="1"] .question').textContent()).toMatch(/\?$/);
      expect(await page.locator('.level[data-level="1"] ul').last().textContent()).toContain("✓ answer_unchanged");
      expect(await page.locator('.level[data-level="1"]').textContent()).toMatch(/readability/);
      expect(await page.locator(".evidence p").count()).toBeGreaterThan(0);
      // Two evaluation runs compared item by item: the two answers B got wrong are listed, with the tally.
      await page.check('input[data-compare="evals/example"]');
      await page.check('input[data-compare="evals/example-b"]');
      await page.waitForSelector('#compare-items tr[data-outcome="only A"]');
      expect(await page.locator("#compare-items tbody tr").count()).toBe(2);
      expect(await page.locator("#compare-counts").textContent()).toMatch(/only A: 2/);
      expect(await page.locator("#compare-items tbody tr td.wrong").first().textContent()).toBe("Nobody");
      // The evaluation run opens in the trajectory viewer, and its report is served.
      await page.click('tr[data-run="evals/example"] a[data-open="trajectories"]');
      await page.waitForSelector("#list li");
      expect(await page.locator("#list li").count()).toBeGreaterThan(0);
      expect(await page.locator("#file").textContent()).toMatch(/evals\/example\/trajectories\.jsonl · \d+ records$/);
      await page.goBack();
      await page.click('tr[data-run="evals/example"] a[data-open="report"]');
      await page.waitForSelector("h1");
      expect(await page.title()).toBe("drkit eval: bamboogle");
      expect(errors, errors.join("\n")).toEqual([]);
      expect(outside).toEqual([]);
    } finally {
      await browser.close();
      await server.close();
    }
  }, 60_000);
});
