import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type ScriptedOpenAIServer, startScriptedOpenAIServer } from "../../test/fixtures/scripted-openai-server.js";
import { UsageTracker } from "../core/budget.js";
import { readJsonlRecords } from "../core/jsonl-store.js";
import { buildCorpus } from "../corpus/build.js";
import { openCorpus, type SqliteCorpus } from "../corpus/sqlite-corpus.js";
import { OpenAICompatibleChatModel } from "../llm/openai-compatible.js";
import { CorpusSearchProvider } from "../tools/search/corpus-provider.js";
import { type E2hRecord, e2hCandidates, LlmE2hRewriter, RuleE2hRewriter, synthesizeE2h } from "./e2h.js";

const home = mkdtempSync(join(tmpdir(), "drkit-e2h-"));
let corpus: SqliteCorpus;
let server: ScriptedOpenAIServer | undefined;

beforeAll(async () => {
  await buildCorpus({ name: "hotpotqa", from: ["data/hotpotqa/corpus.jsonl"], home, quiet: true });
  corpus = openCorpus("hotpotqa", { home });
});
afterAll(() => corpus?.close());
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** SimpleQA row 209 (Richard Nixon has a page in the HotpotQA corpus). */
function nixonSeed() {
  const csv = readFileSync("data/simpleqa/simple_qa_test_set.csv", "utf8");
  expect(csv).toContain("on which date, month, and year did Richard Nixon retire from the U.S. Naval Reserve?");
  return {
    id: "simpleqa-209",
    question:
      "Before becoming the 37th president of the United States, on which date, month, and year did Richard Nixon retire from the U.S. Naval Reserve?",
    answer: "1 June 1966",
  };
}

describe("E2HQA", () => {
  it("picks entities that are neither the answer nor already hidden", () => {
    expect(e2hCandidates("Who did Richard Nixon meet in Paris in March 1970?", "Paris", [])).toEqual(["Richard Nixon"]);
    expect(e2hCandidates("Who did Richard Nixon meet in Paris?", "Georges Pompidou", ["Richard Nixon"])).toEqual([
      "Paris",
    ]);
  });

  it("rewrites with the rule fallback from the entity's own page, keeps every round, stops when nothing is left", async () => {
    const out = join(home, "rule.jsonl");
    const summary = await synthesizeE2h({
      seeds: [nixonSeed()],
      search: new CorpusSearchProvider(corpus),
      out,
      rounds: 3,
      rewriter: new RuleE2hRewriter(),
      quiet: true,
    });
    const records = readJsonlRecords<E2hRecord>(out);
    expect(records[0]).toMatchObject({ id: "simpleqa-209#R0", round: 0, status: "seed" });
    const first = records[1]!;
    expect(first.status).toBe("ok");
    expect(first.entity).toBe("Richard Nixon");
    expect(first.evidence?.title).toBe("Richard Nixon");
    expect(first.question).not.toContain("Richard Nixon");
    expect(first.question).toContain("37th President of the United States from 1969 until 1974");
    expect(first.answer).toBe("1 June 1966");
    expect(first.checks?.leakage.passed).toBe(true);
    expect(records.at(-1)?.status).toBe("stopped");
    expect(summary.reached[0]).toBe(1);
    expect(summary.reached[1]).toBe(1);
    // Resume: a second run adds nothing.
    const again = await synthesizeE2h({
      seeds: [nixonSeed()],
      search: new CorpusSearchProvider(corpus),
      out,
      rounds: 3,
      quiet: true,
    });
    expect(readJsonlRecords(out).length).toBe(records.length);
    expect(again.records).toBe(records.length);
  });

  it("uses the LLM rewriter with the search results, and stops a seed on leakage", async () => {
    server = await startScriptedOpenAIServer({
      script: [
        (request) => {
          const prompt = request.body.messages[1].content as string;
          const entity = /Entity to replace: (.*)/.exec(prompt)?.[1] ?? "";
          const question = /Question: (.*)/.exec(prompt)?.[1] ?? "";
          return {
            content: JSON.stringify({
              description: "a described entity",
              question: question.replace(entity, "a described entity"),
            }),
          };
        },
        // Round 2: the model writes the answer into the question.
        {
          content: JSON.stringify({
            description: "a naval reserve force",
            question: "On 1 June 1966, who retired from a naval reserve force?",
          }),
        },
      ],
    });
    const tracker = new UsageTracker();
    const model = new OpenAICompatibleChatModel({ baseUrl: server.baseUrl, model: "scripted-test", maxRetries: 0 });
    const out = join(home, "llm.jsonl");
    await synthesizeE2h({
      seeds: [nixonSeed()],
      search: new CorpusSearchProvider(corpus),
      out,
      rounds: 3,
      rewriter: new LlmE2hRewriter(model, { tracker }),
      tracker,
      quiet: true,
    });
    const records = readJsonlRecords<E2hRecord>(out);
    expect(records.map((record) => record.status)).toEqual(["seed", "ok", "stopped"]);
    expect(records[1]?.rewriter).toBe("llm:scripted-test");
    expect(records[2]?.stop_reason).toBe("leakage");
    expect(records[2]?.checks?.leakage.detail.leaked).toEqual(["1 June 1966"]);
    const prompt = server.requests[0]?.body.messages[1].content as string;
    expect(prompt).toContain("Answer: 1 June 1966");
    expect(prompt).toMatch(/Entity to replace: (Richard Nixon|United States|U\.S\. Naval Reserve)/);
    expect(prompt).toContain("Search results:\n[1] ");
    expect(tracker.usage.llmCalls).toBe(2);
    expect(tracker.usage.toolCalls).toBe(2);
  });
});
