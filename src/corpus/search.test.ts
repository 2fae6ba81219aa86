import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CancelledError, DataError, InputError, NotFoundError } from "../core/errors.js";
import { buildCorpus } from "./build.js";
import { matchExpression, queryTerms } from "./query.js";
import { indexCorpus } from "./search-index.js";
import { openCorpus, type SqliteCorpus } from "./sqlite-corpus.js";
import { listCorpora } from "./store-layout.js";

let home: string;
let corpus: SqliteCorpus;
const passages = [
  { id: "p1", title: "NEAR", text: "The NEAR Shoemaker probe visited asteroid Eros." },
  { id: "p2", title: "Title: colon", text: "A passage about columns, AND operators and OR words." },
  { id: "p3", title: "Café Émile", text: "Un café parisien fondé en 1901 près du Louvre." },
  { id: "p4", title: "Emoji", text: "Party popper 🎉 and grinning face 😀 are emoji." },
  { id: "p5", title: "Stars", text: "Stars * and asterisks are different things." },
];

function writeJsonl(file: string, rows: unknown[]): string {
  writeFileSync(file, `${rows.map((row) => JSON.stringify(row)).join("\n")}\n`);
  return file;
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "drkit-search-"));
  const file = writeJsonl(join(home, "small.jsonl"), passages);
  await buildCorpus({ name: "small", from: [file], home, quiet: true });
  corpus = openCorpus("small", { home });
});
afterAll(() => {
  corpus.close();
  rmSync(home, { recursive: true, force: true });
});

describe("query handling", () => {
  it("quotes every term and ORs them; stopwords dropped unless nothing else is left", async () => {
    expect(matchExpression('title:"Ed Wood" NEAR(x*)')).toBe('"title" OR "ed" OR "wood" OR "near" OR "x"');
    expect(queryTerms("the and of")).toEqual(["the", "and", "of"]);
    expect(queryTerms("who is the director of Ed Wood")).toEqual(["director", "ed", "wood"]);
    expect(matchExpression("")).toBeUndefined();
    expect(matchExpression("😀 !!! ***")).toBeUndefined();
    expect(queryTerms(Array.from({ length: 100 }, (_, index) => `term${index}`).join(" "))).toHaveLength(32);
  });

  it("FTS5 keywords and syntax are searched as words", async () => {
    expect((await corpus.search(["NEAR"], 3))[0]?.[0]?.passage.id).toBe("p1");
    expect((await corpus.search(["title: colon"], 3))[0]?.[0]?.passage.id).toBe("p2");
    expect(
      (await corpus.search(['"unbalanced quote', "(((", "*", ":", "^", "-", "NOT"], 3)).map((hits) => hits.length),
    ).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect((await corpus.search(["AND OR columns"], 3))[0]?.[0]?.passage.id).toBe("p2");
  });

  it("diacritics fold and stemming applies (cafe → Café, visiting → visited)", async () => {
    expect((await corpus.search(["cafe emile"], 1))[0]?.[0]?.passage.id).toBe("p3");
    expect((await corpus.search(["visiting asteroids"], 1))[0]?.[0]?.passage.id).toBe("p1");
  });

  it("empty, emoji-only and very long queries; topk 0 and huge topk", async () => {
    expect(await corpus.search(["", "🎉😀"], 5)).toEqual([[], []]);
    const long = `${"asteroid ".repeat(20_000)}Eros`;
    expect((await corpus.search([long], 5))[0]?.[0]?.passage.id).toBe("p1");
    expect(await corpus.search(["asteroid"], 0)).toEqual([[]]);
    expect((await corpus.search(["asteroid"], 1e9))[0]).toHaveLength(1);
    expect(await corpus.search([], 3)).toEqual([]);
  });

  it("scores are positive and sorted, one list per query in order", async () => {
    const [first, second] = await corpus.search(["stars asterisks", "probe"], 5);
    expect(first?.[0]?.passage.id).toBe("p5");
    expect(second?.[0]?.passage.id).toBe("p1");
    for (const hits of [first ?? [], second ?? []]) {
      for (let index = 1; index < hits.length; index++) {
        expect(hits[index - 1]!.score).toBeGreaterThanOrEqual(hits[index]!.score);
      }
      for (const hit of hits) expect(hit.score).toBeGreaterThan(0);
    }
  });

  it("fuzz: any string is accepted and returns at most topk hits", async () => {
    const fts = fc.constantFrom(
      "NEAR",
      "AND",
      "OR",
      "NOT",
      "*",
      ":",
      '"',
      "(",
      ")",
      "^",
      "+",
      "-",
      "title",
      "text",
      "{",
      "}",
    );
    const piece = fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), fc.string({ unit: "binary" }), fts);
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 12 }), fc.integer({ min: 1, max: 10 }), async (parts, topk) => {
        const query = parts.join(" ");
        const [hits] = await corpus.search([query], topk);
        expect(Array.isArray(hits)).toBe(true);
        expect(hits!.length).toBeLessThanOrEqual(topk);
      }),
      { numRuns: 500 },
    );
  });
});

describe("query planning (postings budget)", () => {
  it("drops the most common terms when the summed document frequencies exceed maxPostings", async () => {
    const rows = Array.from({ length: 200 }, (_, index) => ({
      id: `d${index}`,
      title: `Document ${index}`,
      text: `common words everywhere ${index % 10 === 0 ? "sometimes" : ""} ${index === 7 ? "zebra" : ""}`,
    }));
    const file = writeJsonl(join(home, "budget.jsonl"), rows);
    await buildCorpus({ name: "budget", from: [file], home, quiet: true });
    const tight = openCorpus("budget", { home, query: { maxPostings: 50 } });
    const plan = tight.explain("zebra sometimes common unknownword");
    expect(plan.kept).toEqual(["zebra", "sometimes"]);
    expect(plan.pruned).toEqual(["common"]);
    expect((await tight.search(["zebra sometimes common"], 1))[0]?.[0]?.passage.id).toBe("d7");
    // a term that occurs nowhere is dropped; a query of only such terms returns nothing
    expect(tight.explain("unknownword").expression).toBeUndefined();
    expect(await tight.search(["unknownword"], 5)).toEqual([[]]);
    // the rarest term is always kept, even over budget
    expect(tight.explain("common").kept).toEqual(["common"]);
    tight.close();
    const loose = openCorpus("budget", { home, query: { maxPostings: Number.POSITIVE_INFINITY } });
    expect(loose.explain("zebra sometimes common").pruned).toEqual([]);
    expect((await loose.search(["common"], 500))[0]).toHaveLength(200);
    loose.close();
  });
});

describe("query result cache", () => {
  it("returns the same hits as an uncached corpus, per topk, through evictions of the least recently used query", async () => {
    const cached = openCorpus("small", { home, cacheSize: 2 });
    const queries = ["NEAR probe", "café", "stars asterisks", "NEAR probe"];
    for (const query of queries) {
      for (const topk of [1, 3]) {
        const expected = await corpus.search([query], topk);
        expect(await cached.search([query], topk)).toEqual(expected);
        expect(await cached.search([query], topk)).toEqual(expected); // second call served from the cache
      }
    }
    expect((await cached.search(["NEAR probe"], 1))[0]?.[0]?.passage.id).toBe("p1");
    expect((await cached.search(["NEAR probe"], 3))[0]?.map((hit) => hit.passage.id)).toContain("p1");
    // a cached hit list is not shared with the caller: mutating a result does not change the next one
    const first = (await cached.search(["café"], 1))[0];
    first?.splice(0, 1);
    expect((await cached.search(["café"], 1))[0]?.[0]?.passage.id).toBe("p3");
    const [hit] = (await cached.search(["café"], 1))[0] ?? [];
    if (hit) hit.passage.title = "changed";
    expect((await cached.search(["café"], 1))[0]?.[0]?.passage.title).toBe("Café Émile");
    cached.close();
  });
});

describe("atomic rebuild and bad input", () => {
  it("a malformed line fails with file:line; the previous corpus stays searchable; no temp files remain", async () => {
    const good = writeJsonl(join(home, "good.jsonl"), passages.slice(0, 2));
    await buildCorpus({ name: "atomic", from: [good], home, quiet: true });
    const bad = join(home, "bad.jsonl");
    writeFileSync(bad, `${JSON.stringify(passages[2])}\n${JSON.stringify(passages[3])}\n{"id": "x", "title": \n`);
    const failure = await buildCorpus({ name: "atomic", from: [bad], home, quiet: true }).catch((error) => error);
    expect(failure).toBeInstanceOf(DataError);
    expect((failure as DataError).message).toContain(`${bad}:3`);
    expect((failure as DataError).line).toBe(3);
    const wrongShape = writeJsonl(join(home, "shape.jsonl"), [passages[0], { id: "z", title: 5, text: "x" }]);
    const shapeFailure = await buildCorpus({ name: "atomic", from: [wrongShape], home, quiet: true }).catch((e) => e);
    expect(String(shapeFailure.message)).toContain(`${wrongShape}:2`);
    const directory = join(home, "corpora", "atomic");
    const entries = readdirSync(directory).sort();
    expect(entries).toHaveLength(3);
    expect(entries[0]).toBe("corpus.sqlite");
    expect(entries[1]).toMatch(/^lance-\d+-\d+$/); // the search index of the good build, nothing of the failed ones
    expect(entries[2]).toBe("manifest.json");
    const store = openCorpus("atomic", { home });
    expect(store.engine).toBe("lance");
    expect(store.stats().passages).toBe(2);
    expect((await store.search(["probe"], 1))[0]?.[0]?.passage.id).toBe("p1");
    store.close();
  });

  it("a rebuild replaces the corpus while an open reader keeps its snapshot", async () => {
    const first = writeJsonl(join(home, "v1.jsonl"), passages.slice(0, 1));
    await buildCorpus({ name: "swap", from: [first], home, quiet: true });
    const reader = openCorpus("swap", { home });
    const second = writeJsonl(join(home, "v2.jsonl"), passages);
    await buildCorpus({ name: "swap", from: [second], home, quiet: true });
    expect((await reader.search(["probe"], 3))[0]).toHaveLength(1);
    reader.close();
    const fresh = openCorpus("swap", { home });
    expect(fresh.stats().passages).toBe(5);
    fresh.close();
  });

  it("engines: the search index by default, FTS5 on request or with a budget; an old corpus gets an index in one command", async () => {
    const file = writeJsonl(join(home, "engines.jsonl"), passages);
    await buildCorpus({ name: "plain", from: [file], home, quiet: true, searchIndex: false });
    const before = openCorpus("plain", { home });
    expect(before.engine).toBe("fts5");
    const exact = await before.search(["asteroid probe"], 3);
    before.close();
    expect(() => openCorpus("plain", { home, engine: "lance" })).toThrow("add one with drkit corpus index plain");
    const manifest = await indexCorpus("plain", { home, quiet: true });
    expect(manifest.searchIndex?.engine).toBe("lance");
    const after = openCorpus("plain", { home });
    expect(after.engine).toBe("lance");
    const indexed = await after.search(["asteroid probe"], 3);
    expect(indexed[0]?.[0]?.passage.id).toBe(exact[0]?.[0]?.passage.id);
    after.close();
    expect(openCorpus("plain", { home, query: { maxPostings: 100 } }).engine).toBe("fts5");
    expect(openCorpus("plain", { home, engine: "fts5" }).engine).toBe("fts5");
  });

  it("a cancelled build removes its temporary file", async () => {
    const file = writeJsonl(
      join(home, "many.jsonl"),
      Array.from({ length: 3000 }, (_, index) => ({ title: `T${index}`, text: `text ${index}` })),
    );
    const controller = new AbortController();
    controller.abort();
    await expect(
      buildCorpus({ name: "cancelled", from: [file], home, quiet: true, signal: controller.signal }),
    ).rejects.toThrow(/cancelled/);
    expect(existsSync(join(home, "corpora", "cancelled", "corpus.sqlite"))).toBe(false);
    // A first build leaves nothing behind, not even its folder.
    expect(existsSync(join(home, "corpora", "cancelled"))).toBe(false);
  });

  it("a build stopped after a commit resumes there and stores exactly what an uninterrupted build stores", async () => {
    const rows = (from: number, count: number) =>
      Array.from({ length: count }, (_, index) => ({
        title: `R${(from + index) % 700}`,
        text: `resumed text ${from + index}`,
      }));
    const first = writeJsonl(join(home, "resume-a.jsonl"), rows(0, 3000));
    const second = writeJsonl(join(home, "resume-b.jsonl"), [
      ...rows(3000, 2000),
      { title: "R1", text: "resumed text 1" },
    ]);
    const settings = { from: [first, second], home, quiet: true, batchSize: 100, commitEvery: 500 };
    await buildCorpus({ name: "whole", ...settings });
    const controller = new AbortController();
    // Cancel part-way, after some commits.
    const watcher = setInterval(() => {
      const partial = join(home, "corpora", "resumed", ".build-partial.sqlite");
      if (existsSync(partial) && statSync(partial).size > 400_000) controller.abort();
    }, 1);
    const stopped = await buildCorpus({ name: "resumed", ...settings, signal: controller.signal }).catch((e) => e);
    clearInterval(watcher);
    expect(stopped).toBeInstanceOf(CancelledError);
    expect(String(stopped.message)).toContain("run the same command again to resume");
    const partialFile = join(home, "corpora", "resumed", ".build-partial.sqlite");
    const partial = new Database(partialFile, { readonly: true });
    const saved = JSON.parse(
      String(partial.prepare("SELECT value FROM meta WHERE key = 'buildProgress'").pluck().get()),
    );
    partial.close();
    // Stopped part-way, at a commit: some passages stored, not all.
    expect(saved.counts.passages).toBeGreaterThanOrEqual(500);
    expect(saved.counts.passages).toBeLessThan(5000);
    const { manifest } = await buildCorpus({ name: "resumed", ...settings });
    const reference = openCorpus("whole", { home });
    const resumed = openCorpus("resumed", { home });
    expect(manifest.counts).toEqual(reference.manifest().counts);
    expect(manifest.sources).toEqual(reference.manifest().sources);
    expect(manifest.counts.duplicates).toBe(1);
    const all = (corpus: SqliteCorpus) => corpus.getPage("R1").map((passage) => passage.id);
    expect(all(resumed)).toEqual(all(reference));
    expect((await resumed.search(["resumed text 4321"], 1))[0]?.[0]?.passage.text).toBe("resumed text 4321");
    reference.close();
    resumed.close();
    expect(existsSync(join(home, "corpora", "resumed", ".build-partial.sqlite"))).toBe(false);
  });

  it("dedupes by id (first wins) and by title+text; generates slug ids when missing", async () => {
    const file = writeJsonl(join(home, "dupes.jsonl"), [
      { id: "a", title: "One", text: "first" },
      { id: "a", title: "One", text: "different text, same id" },
      { id: "b", title: "One", text: "first" },
      { title: "Two", text: "no id" },
      { title: "Two", text: "no id, second paragraph" },
      { title: "Two", text: "   " },
    ]);
    const { manifest } = await buildCorpus({ name: "dupes", from: [file], home, quiet: true });
    expect(manifest.counts).toEqual({ passages: 3, titles: 2, records: 6, duplicates: 2, empty: 1 });
    const store = openCorpus("dupes", { home });
    expect(store.getPassage("a")?.text).toBe("first");
    expect(store.getPage("Two").map((passage) => passage.id)).toEqual(["two-16e018ec", "two-16e018ec-2"]);
    store.close();
  });

  it("streams JSON arrays and reports the line of a bad element", async () => {
    const file = join(home, "array.json");
    writeFileSync(
      file,
      '[\n  {"title": "A", "text": "a [b] {c} \\" ]"},\n  {"title": "B", "text": "b"},\n  {"title": 1}\n]\n',
    );
    const failure = await buildCorpus({ name: "array", from: [file], home, quiet: true }).catch((error) => error);
    expect(String(failure.message)).toContain(`${file}:4`);
    writeFileSync(file, '[{"title": "A", "text": "a [b] {c} \\" ]"},{"title": "B", "text": "b"}]');
    const { manifest } = await buildCorpus({ name: "array", from: [file], home, quiet: true });
    expect(manifest.counts.passages).toBe(2);
    const store = openCorpus("array", { home });
    expect(store.getPage("A")[0]?.text).toBe('a [b] {c} " ]');
    store.close();
    writeFileSync(file, '[{"title": "A", "text": "a"}');
    await expect(buildCorpus({ name: "array", from: [file], home, quiet: true })).rejects.toThrow(/not closed/);
  });

  it("clear errors for unknown corpora, bad names, missing files and undetectable formats", async () => {
    expect(() => openCorpus("missing", { home })).toThrow(NotFoundError);
    await expect(buildCorpus({ name: "../evil", from: [], home })).rejects.toThrow(InputError);
    await expect(buildCorpus({ name: "x", from: [join(home, "nope.jsonl")], home })).rejects.toThrow(/not found/);
    const odd = writeJsonl(join(home, "odd.jsonl"), [{ question: "q?" }]);
    await expect(buildCorpus({ name: "odd", from: [odd], home, quiet: true })).rejects.toThrow(
      /odd\.jsonl:1.*--format/,
    );
    expect(listCorpora(home).map((manifest) => manifest.name)).toContain("small");
  });
});
