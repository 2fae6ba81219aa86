/**
 * Where corpus build time goes: `buildCorpus` against its parts and against the raw FTS5 insert (the anchor:
 * the same passages inserted into a bare FTS5 table with the same tokenizer, nothing else), on the same
 * synthetic corpus in the same run. Each stage runs 3 times; medians are printed, both as wall-clock rate
 * and as CPU rate (passages per CPU-second of this process, which does not depend on the machine's load).
 *
 *   npx tsx bench/corpus-build-phases.ts [--size 30000]
 */
import { hash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import { buildCorpus } from "../src/corpus/build.js";
import { readRecords } from "../src/corpus/record-reader.js";
import { FTS_TOKENIZER } from "../src/corpus/store-layout.js";
import { passageIdForTitle } from "../src/corpus/text.js";
import { loadVocabulary, writeSyntheticCorpus } from "./corpus-synthetic.js";

const { values } = parseArgs({ options: { size: { type: "string", default: "30000" } } });
const size = Number(values.size);
const directory = mkdtempSync(join(tmpdir(), "drkit-build-phases-"));
const file = join(directory, "synthetic.jsonl");
await writeSyntheticCorpus(file, loadVocabulary(), size);
const rows = readFileSync(file, "utf8")
  .split("\n")
  .filter(Boolean)
  .map((line) => JSON.parse(line) as { title: string; text: string });
let counter = 0;

function bareDatabase(): Database.Database {
  const database = new Database(join(directory, `stage-${counter++}.sqlite`));
  database.pragma("journal_mode = OFF");
  database.pragma("synchronous = OFF");
  return database;
}

function rawFts(tokenizer: string): () => void {
  return () => {
    const database = bareDatabase();
    database.exec(`CREATE VIRTUAL TABLE fts USING fts5(title, text, tokenize='${tokenizer}')`);
    const insert = database.prepare("INSERT INTO fts (rowid, title, text) VALUES (?, ?, ?)");
    database.transaction(() => {
      rows.forEach((row, index) => {
        insert.run(index + 1, row.title, row.text);
      });
    })();
    database.close();
  };
}

const stages: { name: string; run: () => unknown }[] = [
  { name: `raw FTS5 insert, ${FTS_TOKENIZER} (anchor)`, run: rawFts(FTS_TOKENIZER) },
  {
    name: "buildCorpus (everything)",
    run: () => buildCorpus({ name: `b${counter++}`, from: [file], home: join(directory, "home"), quiet: true }),
  },
  {
    name: "stream + JSON.parse (readRecords)",
    run: async () => {
      for await (const _record of readRecords(file));
    },
  },
  {
    name: "content table insert (id, hash unique)",
    run: () => {
      const database = bareDatabase();
      database.exec(
        "CREATE TABLE p (rowid INTEGER PRIMARY KEY, id TEXT UNIQUE, title TEXT, text TEXT, hash INTEGER UNIQUE)",
      );
      const insert = database.prepare("INSERT INTO p VALUES (?, ?, ?, ?, ?)");
      database.transaction(() => {
        rows.forEach((row, index) => {
          insert.run(index + 1, `id${index}`, row.title, row.text, BigInt(index) * 7919n);
        });
      })();
      database.close();
    },
  },
  {
    name: "sha1 dedupe hash",
    run: () => {
      for (const row of rows) hash("sha1", `${row.title}\u0000${row.text}`, "buffer");
    },
  },
  {
    name: "passage id from title",
    run: () => {
      for (const row of rows) passageIdForTitle(row.title);
    },
  },
  { name: "raw FTS5 insert, unicode61 remove_diacritics 2", run: rawFts("unicode61 remove_diacritics 2") },
];

const results = new Map<string, { wall: number; cpu: number }[]>();
try {
  for (let repeat = 0; repeat < 3; repeat++) {
    for (const stage of stages) {
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      await stage.run();
      const cpu = process.cpuUsage(cpuBefore);
      const list = results.get(stage.name) ?? [];
      list.push({ wall: size / ((performance.now() - started) / 1000), cpu: size / ((cpu.user + cpu.system) / 1e6) });
      results.set(stage.name, list);
    }
  }
} finally {
  rmSync(directory, { recursive: true, force: true });
}
const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] ?? Number.NaN;
const anchor = results.get(stages[0]?.name ?? "") ?? [];
const anchorWall = median(anchor.map((entry) => entry.wall));
const anchorCpu = median(anchor.map((entry) => entry.cpu));
console.log(
  `corpus-build-phases: ${size} synthetic passages (60-140 words), 3 runs each, load average ${loadavg()
    .map((value) => value.toFixed(1))
    .join(" ")}, node ${process.version}`,
);
console.log("\n| stage | passages/s (wall) | × anchor | passages per CPU-s | × anchor |");
console.log("|---|---:|---:|---:|---:|");
for (const [name, list] of results) {
  const wall = median(list.map((entry) => entry.wall));
  const cpu = median(list.map((entry) => entry.cpu));
  console.log(
    `| ${name} | ${wall.toFixed(0)} | ${(wall / anchorWall).toFixed(2)} | ${cpu.toFixed(0)} | ${(cpu / anchorCpu).toFixed(2)} |`,
  );
}
