import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type ScriptedOpenAIServer, startScriptedOpenAIServer } from "../../../test/fixtures/scripted-openai-server.js";
import { OpenAICompatibleChatModel } from "../../llm/openai-compatible.js";
import { createReward } from "../../reward/rewards.js";
import {
  createJudge,
  JsonlVerdictCache,
  parseBrowseComp,
  parseEquivalence,
  parseSimpleQa,
  parseXbench,
} from "./judge.js";

let server: ScriptedOpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function client(baseUrl: string): OpenAICompatibleChatModel {
  return new OpenAICompatibleChatModel({ baseUrl, model: "judge-model", maxRetries: 0, timeoutMs: 5000 });
}

const item = { question: "What is the capital of France?", prediction: "Paris", golds: ["Paris", "Paris, France"] };

describe("judge output parsers", () => {
  it("equivalence: Correct / Incorrect, letter graders, markdown", () => {
    expect(parseEquivalence("Correct")?.correct).toBe(true);
    expect(parseEquivalence("**Incorrect**.")?.correct).toBe(false);
    expect(parseEquivalence("A")?.correct).toBe(true);
    expect(parseEquivalence("Answer: Incorrect")?.correct).toBe(false);
    expect(parseEquivalence("maybe")).toBeUndefined();
  });
  it("browsecomp: JSON, JSON5, fenced, and anchored `correct:` lines", () => {
    expect(
      parseBrowseComp(
        '{"extracted_final_answer":"Paris","reasoning":"same","correct":"yes","confidence":85,"strict":true}',
      ),
    ).toEqual({
      correct: true,
      extractedAnswer: "Paris",
      reasoning: "same",
      confidence: 85,
    });
    expect(parseBrowseComp("```json\n{correct: 'no', confidence: '40%',}\n```")).toMatchObject({
      correct: false,
      confidence: 40,
    });
    const text =
      "extracted_final_answer: Lyon\nreasoning: the response says incorrect: yes is wrong\n**Correct:** no\nconfidence: 30";
    expect(parseBrowseComp(text)).toMatchObject({ correct: false, extractedAnswer: "Lyon", confidence: 30 });
    expect(parseBrowseComp("I think it is fine")).toBeUndefined();
  });
  it("simpleqa: first standalone grade letter", () => {
    expect(parseSimpleQa("A")).toEqual({ correct: true, grade: "correct" });
    expect(parseSimpleQa("The grade is **C**")).toEqual({ correct: false, grade: "not_attempted" });
    expect(parseSimpleQa("NOT_ATTEMPTED")).toEqual({ correct: false, grade: "not_attempted" });
    expect(parseSimpleQa("no idea")).toBeUndefined();
  });
  it("xbench: 结论 field or line", () => {
    expect(parseXbench('{"最终答案":"巴黎","解释":"一致","结论":"正确"}')).toEqual({
      correct: true,
      extractedAnswer: "巴黎",
    });
    expect(parseXbench("最终答案：里昂\n结论：错误")?.correct).toBe(false);
  });
});

describe("LLM judges against the scripted OpenAI-compatible fixture", () => {
  it("equivalence judge sends question, reference and prediction at temperature 0", async () => {
    server = await startScriptedOpenAIServer({ script: [{ content: "Correct" }] });
    const verdict = await createJudge("equivalence", client(server.baseUrl)).judge(item);
    expect(verdict).toEqual({ judge: "equivalence", status: "ok", correct: true });
    const body = server.requestsTo("/v1/chat/completions")[0]?.body;
    expect(body.model).toBe("judge-model");
    expect(body.temperature).toBe(0);
    const prompt = body.messages[0].content as string;
    expect(prompt).toContain("Question: What is the capital of France?");
    expect(prompt).toContain("Reference answer: Paris (also accepted: Paris, France)");
    expect(prompt).toContain("Predicted answer: Paris");
    expect(prompt).toMatch(/one word: Correct or Incorrect/);
  });
  it("browsecomp judge asks for JSON and reads the fields; uses the full response", async () => {
    server = await startScriptedOpenAIServer({
      script: [
        {
          content:
            '{"extracted_final_answer":"Paris","reasoning":"match","correct":"yes","confidence":90,"strict":true}',
        },
      ],
    });
    const verdict = await createJudge("browsecomp", client(server.baseUrl)).judge({
      ...item,
      response: "Explanation: ...\nExact Answer: Paris\nConfidence: 90%",
    });
    expect(verdict).toMatchObject({ status: "ok", correct: true, confidence: 90, extractedAnswer: "Paris" });
    const body = server.requestsTo("/v1/chat/completions")[0]?.body;
    expect(body.response_format).toEqual({ type: "json_object" });
    expect(body.messages[0].content).toContain("Response: Explanation: ...\nExact Answer: Paris");
    expect(body.messages[0].content).toContain('"confidence"');
  });
  it("factual auditor sends no question and cuts inputs to 500 characters", async () => {
    server = await startScriptedOpenAIServer({ script: [{ content: "[[INCORRECT]]" }] });
    const long = "x".repeat(800);
    const verdict = await createJudge("factual-auditor", client(server.baseUrl)).judge({ ...item, prediction: long });
    expect(verdict.correct).toBe(false);
    const messages = server.requestsTo("/v1/chat/completions")[0]?.body.messages as { content: string }[];
    const text = messages.map((message) => message.content).join("\n");
    expect(text).not.toContain("capital of France");
    expect(text).toContain(`Predicted answer: ${"x".repeat(500)}\n`);
  });
  it("retries an unparsable reply, then records an error verdict (never counted)", async () => {
    server = await startScriptedOpenAIServer({ script: [{ content: "hmm" }, { content: "Incorrect" }] });
    const judge = createJudge("equivalence", client(server.baseUrl), { retries: 1 });
    expect((await judge.judge(item)).correct).toBe(false);
    server.enqueue({ content: "???" }, { status: 500, errorBody: { error: { message: "boom" } } });
    const failed = await judge.judge({ ...item, prediction: "Lyon" });
    expect(failed.status).toBe("error");
    expect(failed.correct).toBeNull();
    expect(failed.error).toBeTruthy();
    expect(server.requestsTo("/v1/chat/completions")).toHaveLength(4);
    // A reward built on this judge refuses to score instead of counting the failure as wrong.
    server.enqueue(
      { status: 500, errorBody: { error: { message: "down" } } },
      { status: 500, errorBody: { error: { message: "down" } } },
    );
    await expect(
      createReward("judge", { judge }).score({ solution: "<answer>Nice</answer>", golds: ["Paris"], question: "q" }),
    ).rejects.toThrow(/judge equivalence failed/);
  });
  it("caches decided verdicts in JSONL keyed by hash", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "drkit-judge-")), "verdicts.jsonl");
    server = await startScriptedOpenAIServer({ script: [{ content: "C" }] });
    const first = createJudge("simpleqa", client(server.baseUrl), { cache: new JsonlVerdictCache(path) });
    expect((await first.judge(item)).grade).toBe("not_attempted");
    const second = createJudge("simpleqa", client(server.baseUrl), { cache: new JsonlVerdictCache(path) });
    expect((await second.judge(item)).grade).toBe("not_attempted");
    expect(server.requestsTo("/v1/chat/completions")).toHaveLength(1);
    expect(readFileSync(path, "utf8").trim().split("\n")).toHaveLength(1);
  });
});
