/**
 * Bench: rule-based multi-hop synthesis throughput on the bundled HotpotQA slice, against an anchor measured in the
 * same run on the same corpus: plain BM25 searches per second. Prints items/s, searches/s and the ratio
 * (how many searches' worth of time one synthesized item costs). Run: `npx tsx bench/synth-multihop.ts [questions]`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildCorpus } from "../src/corpus/build.js";
import { openCorpus } from "../src/corpus/sqlite-corpus.js";
import { extractChain } from "../src/synth/chain.js";
import { synthesizeMultihop } from "../src/synth/multihop.js";
import { RuleObfuscator } from "../src/synth/obfuscate.js";
import { loadSourceQuestions } from "../src/synth/sources.js";

const limit = Number(process.argv[2] ?? 80);
const home = mkdtempSync(join(tmpdir(), "drkit-bench-synth-"));
try {
  await buildCorpus({ name: "hotpotqa", from: ["data/hotpotqa/corpus.jsonl"], home, quiet: true });
  const corpus = openCorpus("hotpotqa", { home });
  const sources = loadSourceQuestions("data/hotpotqa/questions.jsonl").slice(0, limit);

  // Anchor: one BM25 search per question text, repeated.
  const anchorStart = performance.now();
  let searches = 0;
  for (let round = 0; round < 5; round++)
    for (const source of sources) {
      corpus.searchNow([source.question], 5);
      searches += 1;
    }
  const searchesPerSecond = searches / ((performance.now() - anchorStart) / 1000);

  // Pure stages: chain extraction + rule obfuscation of three levels.
  const obfuscator = new RuleObfuscator();
  const pureStart = performance.now();
  let produced = 0;
  for (const source of sources) {
    const chain = extractChain(source);
    if (!chain.ok) continue;
    for (const level of [1, 2, 3] as const) if ((await obfuscator.obfuscate(chain.chain, level)).ok) produced += 1;
  }
  const pureItemsPerSecond = produced / ((performance.now() - pureStart) / 1000);

  // The whole pipeline (checks, oracle, calibration, durable stage files, exports).
  const start = performance.now();
  const { report } = await synthesizeMultihop({
    from: "data/hotpotqa/questions.jsonl",
    corpus,
    out: join(home, "runs", "bench.jsonl"),
    obfuscator,
    limit,
    quiet: true,
  });
  const seconds = (performance.now() - start) / 1000;
  const items = report.levels.reduce((sum, level) => sum + level.produced, 0);
  const itemsPerSecond = items / seconds;
  corpus.close();
  console.log(`questions ${limit}, items ${items}, kept ${report.kept}`);
  console.log(`anchor: BM25 search ${searchesPerSecond.toFixed(0)}/s`);
  console.log(
    `chain + rule obfuscation: ${pureItemsPerSecond.toFixed(0)} items/s (${(pureItemsPerSecond / searchesPerSecond).toFixed(2)}× the search rate)`,
  );
  console.log(
    `full pipeline: ${itemsPerSecond.toFixed(1)} items/s = one item per ${(searchesPerSecond / itemsPerSecond).toFixed(1)} searches' time`,
  );
} finally {
  rmSync(home, { recursive: true, force: true });
}
