/**
 * Needle-in-a-haystack retrieval bench: the 3,957 real HotpotQA passages of data/hotpotqa mixed into seeded
 * synthetic distractors (bench/corpus-synthetic.ts, HotpotQA paragraphs kept out of the topic pool so no
 * distractor is a near-copy of a gold passage), the 400 HotpotQA questions as queries, gold = the supporting
 * passages. Engines, each queried single-threaded in its own process (so its RSS is its own):
 *   - drkit's old default: FTS5 with a 1,000-postings budget;
 *   - drkit's default: the LanceDB index (BM25, block-max WAND);
 *   - exact BM25 (FTS5, no budget): the reference ranking for overlap@10;
 *   - Xapian 1.4 BM25 (Debian's python3-xapian), an outside anchor, when installed.
 * Printed per size: build passages/s (store, index), p50/p99 ms, any-gold@10, both-gold@10, overlap@10 with exact,
 * index size and RSS after the queries.
 *
 *   npx tsx bench/retrieval-needle.ts [--sizes 100000,1000000] [--no-xapian]
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildCorpus } from "../src/corpus/build.js";
import { indexCorpus } from "../src/corpus/search-index.js";
import { openCorpus } from "../src/corpus/sqlite-corpus.js";
import { writeNeedleCorpus } from "./corpus-synthetic.js";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "100000,1000000" },
    "no-xapian": { type: "boolean", default: false },
    child: { type: "string" },
    home: { type: "string" },
    engine: { type: "string" },
    budget: { type: "string" },
  },
});

interface Question {
  question: string;
  supporting_titles: string[];
}
const questions = readFileSync("data/hotpotqa/questions.jsonl", "utf8")
  .split("\n")
  .filter((line) => line.trim())
  .map((line) => JSON.parse(line) as Question);
const real = readFileSync("data/hotpotqa/corpus.jsonl", "utf8")
  .split("\n")
  .filter((line) => line.trim())
  .map((line) => JSON.parse(line) as { id: string; title: string; text: string });

interface EngineRun {
  latenciesMs: number[];
  topIds: string[][];
  rssMiB: number;
}

function rssMiB(): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  return Number(match?.[1] ?? 0) / 1024;
}

/** Child mode: open the corpus with one engine, run every question once (after 20 warm-up queries), print JSON. */
async function runChild(home: string, engine: "lance" | "fts5", budget: number): Promise<void> {
  const corpus = openCorpus("needle", { home, engine, query: budget > 0 ? { maxPostings: budget } : {} });
  for (const question of questions.slice(0, 20)) await corpus.search([question.question], 10);
  const latenciesMs: number[] = [];
  const topIds: string[][] = [];
  for (const question of questions) {
    const started = performance.now();
    const [hits = []] = await corpus.search([question.question], 10);
    latenciesMs.push(performance.now() - started);
    topIds.push(hits.map((hit) => hit.passage.id));
  }
  const run: EngineRun = { latenciesMs, topIds, rssMiB: rssMiB() };
  process.stdout.write(JSON.stringify(run));
  corpus.close();
}

function engineRun(home: string, engine: string, budget: number): EngineRun {
  const result = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      "bench/retrieval-needle.ts",
      "--child",
      "1",
      "--home",
      home,
      "--engine",
      engine,
      "--budget",
      String(budget),
    ],
    { encoding: "utf8", maxBuffer: 256 * 1024 * 1024, env: { ...process.env, LANCE_CPU_THREADS: "1" } },
  );
  if (result.status !== 0) throw new Error(`engine ${engine} failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as EngineRun;
}

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

function folderMiB(path: string): number {
  return Number(execFileSync("du", ["-sk", path], { encoding: "utf8" }).split("\t")[0]) / 1024;
}

function quality(topIds: string[][], exact: string[][]) {
  const goldByQuestion = questions.map(
    (question) =>
      new Set(real.filter((passage) => question.supporting_titles.includes(passage.title)).map((p) => p.id)),
  );
  let any = 0;
  let both = 0;
  let overlap = 0;
  topIds.forEach((ids, index) => {
    const gold = goldByQuestion[index] as Set<string>;
    const found = ids.filter((id) => gold.has(id)).length;
    if (found > 0) any++;
    if (found >= Math.min(2, gold.size) && gold.size > 0) both++;
    const reference = new Set(exact[index]);
    overlap += ids.filter((id) => reference.has(id)).length / Math.max(1, reference.size);
  });
  const n = topIds.length;
  return { any: (100 * any) / n, both: (100 * both) / n, overlap: (100 * overlap) / n };
}

async function main(): Promise<void> {
  if (values.child) {
    await runChild(values.home as string, values.engine as "lance" | "fts5", Number(values.budget));
    return;
  }
  const sizes = (values.sizes as string).split(",").map(Number);
  process.stdout.write(
    "| passages | engine | build passages/s | p50 ms | p99 ms | any-gold@10 | both-gold@10 | overlap@10 with exact | index MiB | RSS MiB |\n" +
      "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
  );
  for (const size of sizes) {
    const home = mkdtempSync(join(tmpdir(), "drkit-needle-"));
    try {
      const file = join(home, "needle.jsonl");
      await writeNeedleCorpus(file, size);
      const storeStarted = performance.now();
      await buildCorpus({ name: "needle", from: [file], home, quiet: true, searchIndex: false });
      const storeSeconds = (performance.now() - storeStarted) / 1000;
      const manifest = await indexCorpus("needle", { home, quiet: true });
      const indexSeconds = manifest.searchIndex?.seconds ?? 0;
      const directory = join(home, "corpora", "needle");
      const storeMiB = statSync(join(directory, "corpus.sqlite")).size / 1024 / 1024;
      const indexMiB = folderMiB(join(directory, manifest.searchIndex?.folder as string));
      const exact = engineRun(home, "fts5", 0);
      const rows: [string, EngineRun, string, string][] = [
        [
          "drkit old default: FTS5, budget 1,000",
          engineRun(home, "fts5", 1000),
          (size / storeSeconds).toFixed(0),
          storeMiB.toFixed(0),
        ],
        [
          "drkit default: LanceDB index",
          engineRun(home, "lance", 0),
          `${(size / indexSeconds).toFixed(0)} (index)`,
          indexMiB.toFixed(0),
        ],
        ["exact BM25: FTS5 (reference)", exact, (size / storeSeconds).toFixed(0), storeMiB.toFixed(0)],
      ];
      if (!values["no-xapian"]) {
        writeFileSync(join(home, "queries.json"), JSON.stringify(questions.map((q) => q.question)));
        const xapian = spawnSync(
          "taskset",
          [
            "-c",
            "0",
            existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3",
            "bench/xapian-anchor.py",
            file,
            join(home, "queries.json"),
            join(home, "xapian"),
            "10",
          ],
          { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 },
        );
        if (xapian.status === 0) {
          const parsed = JSON.parse(xapian.stdout) as {
            buildSeconds: number;
            latenciesMs: number[];
            topIds: string[][];
          };
          rows.push([
            "Xapian 1.4 BM25 (anchor)",
            { latenciesMs: parsed.latenciesMs, topIds: parsed.topIds, rssMiB: Number.NaN },
            (size / parsed.buildSeconds).toFixed(0),
            folderMiB(join(home, "xapian")).toFixed(0),
          ]);
        } else process.stderr.write(`xapian anchor skipped: ${xapian.stderr.split("\n").slice(-2).join(" ")}\n`);
      }
      for (const [label, run, rate, mib] of rows) {
        const q = quality(run.topIds, exact.topIds);
        process.stdout.write(
          `| ${size.toLocaleString("en")} | ${label} | ${rate} | ${percentile(run.latenciesMs, 0.5).toFixed(2)} | ${percentile(run.latenciesMs, 0.99).toFixed(1)} | ${q.any.toFixed(1)} | ${q.both.toFixed(1)} | ${q.overlap.toFixed(0)}% | ${mib} | ${Number.isNaN(run.rssMiB) ? "–" : run.rssMiB.toFixed(0)} |\n`,
        );
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }
}

await main();
