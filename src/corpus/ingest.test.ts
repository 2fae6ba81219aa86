import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCorpus } from "./build.js";
import { openCorpus } from "./sqlite-corpus.js";
import { parseContents, passageIdForTitle, renderContents } from "./text.js";

let home: string;
beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), "drkit-corpus-"));
});
afterAll(() => {
  rmSync(home, { recursive: true, force: true });
});

const build = (name: string, from: string[], format?: "auto" | "musique" | "2wiki" | "jsonl") =>
  buildCorpus({ name, from, home, quiet: true, ...(format ? { format } : {}) });

describe("ingest of the bundled data files", () => {
  it("hotpotqa corpus.jsonl: 3,957 paragraphs, ids kept, titles unique", async () => {
    const { manifest } = await build("hotpotqa", ["data/hotpotqa/corpus.jsonl"]);
    expect(manifest.format).toBe("jsonl");
    expect(manifest.counts).toEqual({ passages: 3957, titles: 3957, records: 3957, duplicates: 0, empty: 0 });
    const corpus = openCorpus("hotpotqa", { home });
    expect(corpus.getPassage("ed-wood-film-cd7bf3f9")?.title).toBe("Ed Wood (film)");
    expect(corpus.getPage("Scott Derrickson")).toHaveLength(1);
    expect(corpus.getPage("scott derrickson")[0]?.id).toBe("scott-derrickson-197f8b11");
    expect(corpus.getPage("No Such Title")).toEqual([]);
    const stats = corpus.stats();
    expect(stats.passages).toBe(3957);
    expect(stats.bytes).toBeGreaterThan(1_000_000);
    expect(stats.sources[0]).toMatch(/hotpotqa[/\\]corpus\.jsonl$/);
    corpus.close();
  });

  it("hotpotqa questions.jsonl contexts: 3,971 paragraphs → 3,957 distinct, same ids as corpus.jsonl", async () => {
    const { manifest } = await build("hotpotqa-questions", ["data/hotpotqa/questions.jsonl"]);
    expect(manifest.format).toBe("hotpotqa");
    expect(manifest.counts.records).toBe(400);
    expect(manifest.counts.passages).toBe(3957);
    expect(manifest.counts.duplicates).toBe(14);
    const fromQuestions = openCorpus("hotpotqa-questions", { home });
    const fromCorpus = openCorpus("hotpotqa", { home });
    const lines = readFileSync("data/hotpotqa/corpus.jsonl", "utf8").trim().split("\n");
    for (const line of lines.slice(0, 200)) {
      const row = JSON.parse(line) as { id: string; title: string; text: string };
      expect(passageIdForTitle(row.title)).toBe(row.id);
      expect(fromQuestions.getPassage(row.id)).toEqual(row);
      expect(fromCorpus.getPassage(row.id)).toEqual(row);
    }
    fromQuestions.close();
    fromCorpus.close();
  });

  it("musique question file and corpus file both give the 1,890 distinct paragraphs", async () => {
    const questions = await build("musique-q", ["data/musique/hipporag_musique_train100.json"]);
    expect(questions.manifest.format).toBe("musique");
    expect(questions.manifest.counts).toMatchObject({ passages: 1890, titles: 1764, records: 100, duplicates: 110 });
    const corpusFile = await build("musique-c", ["data/musique/hipporag_musique_train100_corpus.json"], "musique");
    expect(corpusFile.manifest.counts).toMatchObject({ passages: 1890, titles: 1764, records: 1890 });
    // Repeated titles get -2, -3 ... suffixes; every paragraph of a page is reachable by title.
    const corpus = openCorpus("musique-c", { home });
    const rows = JSON.parse(readFileSync("data/musique/hipporag_musique_train100_corpus.json", "utf8")) as {
      title: string;
      text: string;
    }[];
    const counts = new Map<string, number>();
    for (const row of rows) counts.set(row.title, (counts.get(row.title) ?? 0) + 1);
    const [repeated, times] = [...counts.entries()].find(([, n]) => n > 1) ?? ["", 0];
    const page = corpus.getPage(repeated);
    expect(page).toHaveLength(times);
    expect(page[0]?.id).toBe(passageIdForTitle(repeated));
    expect(page[1]?.id).toBe(`${passageIdForTitle(repeated)}-2`);
    corpus.close();
  });

  it("2wiki corpus plus the question file: all 20 context paragraphs are already in the corpus", async () => {
    const { manifest } = await build("2wiki", [
      "data/2wikimultihopqa/hipporag_2wikimultihopqa_corpus.json",
      "data/2wikimultihopqa/kag_2wiki_qa_sub2.json",
    ]);
    expect(manifest.sources.map((source) => [source.format, source.records, source.passages])).toEqual([
      ["jsonl", 6119, 6119],
      ["2wiki", 2, 0],
    ]);
    expect(manifest.counts.duplicates).toBe(20);
    const sub = await build("2wiki-sub", ["data/2wikimultihopqa/kag_2wiki_sub_corpus.json"]);
    expect(sub.manifest.counts.passages).toBe(7);
    const corpus = openCorpus("2wiki", { home });
    // sentences joined with one space, as in the HippoRAG corpus
    expect(corpus.getPage("Teutberga")[0]?.text).toMatch(/Lothair II\. She was a daughter/);
    corpus.close();
  });

  it("wiki-18 sample: ids kept, contents split into title and text and rendered back byte-identical", async () => {
    const { manifest } = await build("wiki18", ["data/wiki_sample/search_r1_example_corpus10.jsonl"]);
    expect(manifest.format).toBe("wiki18");
    expect(manifest.counts.passages).toBe(10);
    const corpus = openCorpus("wiki18", { home });
    const lines = readFileSync("data/wiki_sample/search_r1_example_corpus10.jsonl", "utf8").trim().split("\n");
    for (const line of lines) {
      const row = JSON.parse(line) as { id: string; contents: string };
      const passage = corpus.getPassage(row.id);
      expect(passage).toBeDefined();
      expect(renderContents(passage!.title, passage!.text)).toBe(row.contents);
    }
    expect(corpus.getPassage("0")?.title).toBe("Evan Morris");
    corpus.close();
  });

  it("KILT sample: one passage per paragraph, title line and section headings dropped", async () => {
    const { manifest } = await build("kilt", ["data/wiki_sample/kilt_sample_100.jsonl"]);
    expect(manifest.format).toBe("kilt");
    expect(manifest.counts.records).toBe(99);
    expect(manifest.counts.titles).toBe(99);
    // 5,644 paragraphs - 99 title lines - 1,063 section headings = 4,482, of which 4,474 distinct
    expect(manifest.counts.passages).toBe(4474);
    const corpus = openCorpus("kilt", { home });
    const page = corpus.getPage("A");
    expect(page[0]?.text.startsWith("A (named")).toBe(true);
    expect(page[0]?.id).toBe(`${passageIdForTitle("A")}-1`);
    expect(page.some((passage) => passage.text.startsWith("Section::::"))).toBe(false);
    corpus.close();
  });
});

describe("text helpers", () => {
  it("slug ids follow data/README.md", () => {
    expect(passageIdForTitle("Ed Wood (film)")).toBe("ed-wood-film-cd7bf3f9");
    expect(passageIdForTitle("!!!")).toMatch(/^p-[0-9a-f]{8}$/);
    expect(passageIdForTitle("Émile Zola")).toMatch(/^emile-zola-[0-9a-f]{8}$/);
    expect(passageIdForTitle("x".repeat(100)).length).toBe(48 + 9);
  });

  it("parseContents inverts renderContents", () => {
    expect(parseContents(renderContents('A "quoted" title', "line one\nline two"))).toEqual({
      title: 'A "quoted" title',
      text: "line one\nline two",
    });
    expect(parseContents("no newline")).toEqual({ title: "", text: "no newline" });
  });
});

describe("a failed first build", () => {
  it("leaves no empty corpus folder behind", async () => {
    const { mkdtempSync, writeFileSync, existsSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { buildCorpus } = await import("./build.js");
    const home = mkdtempSync(join(tmpdir(), "drkit-failed-build-"));
    const file = join(home, "bad.jsonl");
    writeFileSync(file, '{"title": "no text"}\n');
    await expect(buildCorpus({ name: "bad", from: [file], home, quiet: true })).rejects.toThrow(
      "cannot detect the corpus format",
    );
    expect(existsSync(join(home, "corpora", "bad"))).toBe(false);
  });
});
