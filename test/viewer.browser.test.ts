/**
 * The viewer in a real browser: Debian's Chromium driven by playwright-core. `.ci/run` installs Chromium;
 * set DRKIT_CHROMIUM to another binary to use it instead.
 */
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { describe, expect, it } from "vitest";
import { TRAJECTORY_VERSION } from "../src/core/trajectory.js";
import { startViewerServer } from "../src/serve/viewer-server.js";

const executablePath = process.env.DRKIT_CHROMIUM ?? "/usr/bin/chromium";
const available = existsSync(executablePath);
if (!available && process.env.CI) throw new Error(`Chromium not found at ${executablePath}; .ci/run installs it`);

describe.runIf(available)("viewer page in Chromium", () => {
  it("shows the list, the selected trajectory and its token mask", async () => {
    const dir = mkdtempSync(join(tmpdir(), "drkit-viewer-browser-"));
    const trajectory = {
      version: TRAJECTORY_VERSION,
      id: "t0",
      question: "Who directed Ed Wood?",
      goldAnswers: ["Tim Burton"],
      protocol: "search-r1",
      messages: [],
      turns: [
        {
          index: 0,
          text: "<search>Ed Wood film</search>",
          action: "tool",
          toolCalls: [{ id: "c", name: "search", arguments: { query: ["Ed Wood film"] } }],
          observation: "Doc 1(Title: Ed Wood (film)) directed by Tim Burton",
          usage: {},
          startedAt: new Date(0).toISOString(),
        },
        {
          index: 1,
          text: "<answer>Tim Burton</answer>",
          action: "answer",
          usage: {},
          startedAt: new Date(0).toISOString(),
        },
      ],
      tokens: {
        tokenizer: "toy",
        promptIds: [1],
        spans: [
          { source: "model", turn: 0, ids: [11, 12], logprobs: [-0.25, -1.5] },
          { source: "observation", turn: 0, ids: [13, 14, 15] },
        ],
      },
      usage: {},
      timings: { startedAt: new Date(0).toISOString() },
      termination: "answer",
      prediction: "Tim Burton",
      reward: { score: 1, name: "em" },
      metadata: { uid: "q1", step: 3, advantage: 1.1547 },
    };
    // Its rollout group (two more samples of q1 at step 3) and a sample of another step.
    const sibling = (sample: number, step: number, advantage: number) => ({
      ...trajectory,
      id: `t${sample}-${step}`,
      sample,
      prediction: "Sam Raimi",
      reward: { score: 0, name: "em" },
      metadata: { uid: "q1", step, advantage },
    });
    const records = [trajectory, sibling(1, 3, -0.5774), sibling(2, 3, -0.5774), sibling(0, 4, 0)];
    writeFileSync(join(dir, "trajectories.jsonl"), `${records.map((record) => JSON.stringify(record)).join("\n")}\n`);
    const server = await startViewerServer({ path: dir });
    const browser = await chromium.launch({
      executablePath,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
    });
    try {
      const page = await browser.newPage();
      await page.goto(server.url);
      await page.waitForSelector("#detail-panel h2");
      expect(await page.textContent("#list li")).toContain("Who directed Ed Wood?");
      expect(await page.textContent("#detail-panel h2")).toBe("Who directed Ed Wood?");
      expect(await page.locator(".turn").count()).toBe(2);
      expect(await page.locator(".tokens .m1").count()).toBe(2);
      expect(await page.locator(".tokens .m0").count()).toBe(3);
      expect(await page.textContent(".badge.ok")).toBe("correct");
      // Hover titles: the sampler logprob of a model token; per-turn timings in the turn header.
      expect(await page.locator(".tokens .m1").first().getAttribute("title")).toBe("turn 1 · model · logprob -0.2500");
      expect(await page.locator(".tokens .m0").first().getAttribute("title")).toBe("turn 1 · observation");
      expect(await page.locator(".turn h3").first().textContent()).toBe("Turn 1 · tool · model 0.00 s · tools 0.00 s");
      // The rollout group: the 3 samples of uid q1 at step 3 with their rewards and advantages.
      expect(await page.locator(".rollout-group h3").textContent()).toBe("Rollout group (uid q1, step 3): 3 samples");
      expect(await page.locator(".rollout-group tr[data-index] td:nth-child(4)").allTextContents()).toEqual([
        "1.1547",
        "-0.5774",
        "-0.5774",
      ]);
      if (process.env.DRKIT_SCREENSHOT) await page.screenshot({ path: process.env.DRKIT_SCREENSHOT, fullPage: true });
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
