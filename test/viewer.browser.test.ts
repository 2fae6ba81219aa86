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
          { source: "model", turn: 0, ids: [11, 12] },
          { source: "observation", turn: 0, ids: [13, 14, 15] },
        ],
      },
      usage: {},
      timings: { startedAt: new Date(0).toISOString() },
      termination: "answer",
      prediction: "Tim Burton",
      reward: { score: 1, name: "em" },
    };
    writeFileSync(join(dir, "trajectories.jsonl"), `${JSON.stringify(trajectory)}\n`);
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
      if (process.env.DRKIT_SCREENSHOT) await page.screenshot({ path: process.env.DRKIT_SCREENSHOT, fullPage: true });
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
