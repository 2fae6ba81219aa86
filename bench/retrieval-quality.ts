/**
 * Retrieval quality on data/hotpotqa: for each of the 400 questions (the question text is the query),
 * recall@k of the two gold supporting paragraphs (`supporting_titles`) in the 3,957-paragraph corpus:
 * any-gold (at least one in the top k) and both-gold (both), k = 1, 3, 5, 10.
 * drkit (FTS5 BM25, porter stemming) with and without the postings budget, title weight 1 and 2, against
 * MiniSearch and wink-bm25-text-search (no stemming) in the same run.
 *
 *   npx tsx bench/retrieval-quality.ts
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildCorpus } from "../src/corpus/build.js";
import { openCorpus } from "../src/corpus/sqlite-corpus.js";
import { type AnchorIndex, type AnchorPassage, miniSearchAnchor, winkAnchor } from "./corpus-anchors.js";

interface Question {
  question: string;
  supporting_titles: string[];
}

const KS = [1, 3, 5, 10] as const;
const questions = readFileSync("data/hotpotqa/questions.jsonl", "utf8")
  .split("\n")
  .filter((line) => line.trim() !== "")
  .map((line) => JSON.parse(line) as Question);
const passages = readFileSync("data/hotpotqa/corpus.jsonl", "utf8")
  .split("\n")
  .filter((line) => line.trim() !== "")
  .map((line) => JSON.parse(line) as AnchorPassage);
const titleById = new Map(passages.map((passage) => [passage.id, passage.title]));

type Row = { system: string; any: number[]; both: number[]; msPerQuery: number };

async function evaluate(system: string, search: (query: string) => string[] | Promise<string[]>): Promise<Row> {
  const any = KS.map(() => 0);
  const both = KS.map(() => 0);
  const started = performance.now();
  for (const question of questions) {
    const titles = await search(question.question);
    KS.forEach((k, index) => {
      const top = new Set(titles.slice(0, k));
      const found = question.supporting_titles.filter((title) => top.has(title)).length;
      if (found > 0) any[index]! += 1;
      if (found === question.supporting_titles.length) both[index]! += 1;
    });
  }
  const msPerQuery = (performance.now() - started) / questions.length;
  return {
    system,
    any: any.map((count) => count / questions.length),
    both: both.map((count) => count / questions.length),
    msPerQuery,
  };
}

const home = mkdtempSync(join(tmpdir(), "drkit-quality-"));
const rows: Row[] = [];
try {
  for (const titleWeight of [2, 1]) {
    const name = `hotpotqa-w${titleWeight}`;
    await buildCorpus({ name, from: ["data/hotpotqa/corpus.jsonl"], home, titleWeight, quiet: true });
    const engines: [string, Parameters<typeof openCorpus>[1]][] =
      titleWeight === 2
        ? [
            ["LanceDB index (default)", { engine: "lance" }],
            ["FTS5, budget 1000 (old default)", { engine: "fts5", query: { maxPostings: 1000 } }],
            ["FTS5, budget 500", { engine: "fts5", query: { maxPostings: 500 } }],
            ["FTS5, exact (no budget)", { engine: "fts5" }],
          ]
        : [
            ["LanceDB index (default)", { engine: "lance" }],
            ["FTS5, budget 1000 (old default)", { engine: "fts5", query: { maxPostings: 1000 } }],
          ];
    for (const [label, engineOptions] of engines) {
      const corpus = openCorpus(name, { home, ...engineOptions });
      await corpus.search(["warm up"], 10);
      rows.push(
        await evaluate(`drkit BM25 title×${titleWeight}, ${label}`, async (query) =>
          ((await corpus.search([query], 10))[0] ?? []).map((hit) => hit.passage.title),
        ),
      );
      corpus.close();
    }
  }
  for (const anchor of [miniSearchAnchor(), winkAnchor()] as AnchorIndex[]) {
    anchor.add(passages);
    anchor.finish();
    rows.push(
      await evaluate(`${anchor.name} (anchor)`, (query) =>
        anchor.search(query, 10).map((id) => titleById.get(id) ?? ""),
      ),
    );
  }
} finally {
  rmSync(home, { recursive: true, force: true });
}

const percent = (value: number) => `${(value * 100).toFixed(1)}`.padStart(5);
console.log(`HotpotQA dev slice: ${questions.length} questions, ${passages.length} paragraphs; recall in %`);
console.log(
  `| system | ${KS.map((k) => `any@${k}`).join(" | ")} | ${KS.map((k) => `both@${k}`).join(" | ")} | ms/query |`,
);
console.log(`|---|${KS.map(() => "---:").join("|")}|${KS.map(() => "---:").join("|")}|---:|`);
for (const row of rows) {
  console.log(
    `| ${row.system} | ${row.any.map(percent).join(" | ")} | ${row.both.map(percent).join(" | ")} | ${row.msPerQuery.toFixed(2)} |`,
  );
}
const reference = rows.find((row) => row.system.startsWith("minisearch"));
const drkit = rows[0];
if (reference && drkit) {
  console.log(
    `ratio drkit(default)/minisearch: any@5 ${(drkit.any[2]! / reference.any[2]!).toFixed(2)}, both@10 ${(drkit.both[3]! / reference.both[3]!).toFixed(2)}`,
  );
}
