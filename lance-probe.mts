import Database from "better-sqlite3";
import { buildLanceIndex, LanceIndex } from "./src/corpus/lance-index.ts";
import { buildCorpus } from "./src/corpus/build.ts";
import { openCorpus } from "./src/corpus/sqlite-corpus.ts";
const home = "/tmp/lance-probe"; 
await buildCorpus({ name: "hq", from: ["data/hotpotqa/corpus.jsonl"], home, quiet: true });
const dir = `${home}/corpora/hq`;
const db = new Database(`${dir}/corpus.sqlite`, { readonly: true });
function* batches() { let last = 0; for (;;) { const rows = db.prepare("SELECT rowid, title, text FROM passages WHERE rowid > ? ORDER BY rowid LIMIT 2000").all(last) as any[]; if (!rows.length) return; last = rows.at(-1).rowid; yield rows; } }
console.log(await buildLanceIndex(dir, batches()));
const index = await LanceIndex.open(dir, 2);
const corpus = openCorpus("hq", { home, query: { maxPostings: 1e12 } });
for (const q of ["Scott Derrickson director", 'title:"NEAR(x* AND', "", "🎉", "the of and", "AND OR NOT", "Café Émile"]) {
  const t = performance.now(); const hits = await index.search(q, 5);
  const exact = corpus.searchNow([q], 5)[0]!;
  console.log(JSON.stringify(q), (performance.now()-t).toFixed(1), hits.map(h => h.rowid).join(","), "| exact", exact.map(h=>h.passage.id).join(","));
}
