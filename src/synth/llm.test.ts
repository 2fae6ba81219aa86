import { afterEach, describe, expect, it } from "vitest";
import { type ScriptedOpenAIServer, startScriptedOpenAIServer } from "../../test/fixtures/scripted-openai-server.js";
import { UsageTracker } from "../core/budget.js";
import { OpenAICompatibleChatModel } from "../llm/openai-compatible.js";
import { extractChain } from "./chain.js";
import { extractJsonObject } from "./llm-json.js";
import { LlmUniquenessJudge } from "./llm-judge.js";
import { LlmObfuscator } from "./llm-obfuscator.js";
import { RuleObfuscator } from "./obfuscate.js";
import { loadSourceQuestions } from "./sources.js";
import type { Chain } from "./types.js";
import { answerUnchangedCheck, leakageCheck } from "./verify.js";

let server: ScriptedOpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function kissAndTell(): Chain {
  const result = extractChain(loadSourceQuestions("data/hotpotqa/questions.jsonl")[1]!);
  if (!result.ok) throw new Error(result.reason);
  return result.chain;
}

function model(baseUrl: string) {
  return new OpenAICompatibleChatModel({ baseUrl, model: "scripted-test", maxRetries: 0, retryBaseDelayMs: 1 });
}

describe("LLM obfuscator (scripted server)", () => {
  it("sends the chain and evidence, returns the rewrite and charges usage", async () => {
    const rewrite =
      "What government post did the actress who played Corliss Archer in a 1945 American comedy film later hold?";
    server = await startScriptedOpenAIServer({
      script: [
        {
          content: JSON.stringify({
            question: rewrite,
            answer: "Chief of Protocol",
            descriptions: [{ entity: "Kiss and Tell", description: "a 1945 American comedy film" }],
          }),
          usage: { prompt_tokens: 300, completion_tokens: 40 },
        },
      ],
    });
    const tracker = new UsageTracker();
    const obfuscator = new LlmObfuscator({ model: model(server.baseUrl), tracker, seed: 7 });
    const chain = kissAndTell();
    const result = await obfuscator.obfuscate(chain, 2);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.item.question).toBe(rewrite);
    expect(result.item.obfuscator).toBe("llm:scripted-test");
    expect(result.item.hiddenNames).toEqual(["Kiss and Tell"]);
    expect(result.item.replacements[0]?.passageId).toBe(chain.entities[0]?.passageId);
    const body = server.requests[0]?.body;
    expect(body.response_format).toEqual({ type: "json_object" });
    expect(body.seed).toBe(7);
    const prompt = body.messages[1].content as string;
    expect(prompt).toContain("Answer: Chief of Protocol");
    expect(prompt).toContain("Kiss and Tell is a 1945 American comedy film");
    expect(prompt).toContain("Level 2:");
    expect(tracker.usage.llmCalls).toBe(1);
    expect(tracker.usage.promptTokens).toBe(300);
    expect(leakageCheck(result.item.question, [chain.answer], result.item.hiddenNames).passed).toBe(true);
  });

  it("flags a changed answer in the checks", async () => {
    server = await startScriptedOpenAIServer({
      script: [
        {
          content:
            '```json\n{"question": "Which post did the star of a 1945 comedy film hold later?", "answer": "Ambassador"}\n```',
        },
      ],
    });
    const chain = kissAndTell();
    const result = await new LlmObfuscator({ model: model(server.baseUrl) }).obfuscate(chain, 2);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(answerUnchangedCheck(result.item, chain).passed).toBe(false);
  });

  it("catches a broken rewrite and a leaking one: the rule output replaces them, or the level is not produced", async () => {
    const reply = (question: string) => ({
      content: JSON.stringify({ question, answer: "Chief of Protocol", descriptions: [] }),
    });
    const broken = 'What position was held by the the actress who played Corliss Archer in the 1945 film "Kiss?';
    const leaking = "Which protocol post did the actress who played Corliss Archer in a 1945 comedy film hold?";
    const hiddenName = "Which post did the star of Kiss and Tell hold?";
    server = await startScriptedOpenAIServer({ script: [reply(broken), reply(leaking), reply(hiddenName)] });
    const obfuscator = new LlmObfuscator({ model: model(server.baseUrl), fallback: new RuleObfuscator() });
    const chain = kissAndTell();
    const first = await obfuscator.obfuscate(chain, 2);
    expect(first.ok && first.item.obfuscator).toBe(
      "llm:scripted-test→rule (unreadable rewrite: repeated word, unbalanced quotes)",
    );
    expect(first.ok && first.item.question).toBe(
      "What government position was held by the woman who portrayed Corliss Archer in the 1945 American comedy film?",
    );
    const second = await obfuscator.obfuscate(chain, 2);
    // "protocol" is a word of the answer "Chief of Protocol" that the source question did not have.
    expect(second.ok && second.item.obfuscator).toBe("llm:scripted-test→rule (leaking rewrite: protocol)");
    const third = await new LlmObfuscator({ model: model(server.baseUrl) }).obfuscate(chain, 2);
    expect(third).toEqual({ ok: false, reason: "model reply unusable: leaking rewrite: Kiss and Tell" });
  });

  it("retries once on an unusable reply, then falls back to the rule obfuscator", async () => {
    server = await startScriptedOpenAIServer({ script: [{ content: "Sure! Here it is." }, { content: "{not json" }] });
    const obfuscator = new LlmObfuscator({ model: model(server.baseUrl), fallback: new RuleObfuscator() });
    const result = await obfuscator.obfuscate(kissAndTell(), 2);
    expect(server.requests.length).toBe(2);
    expect(server.requests[1]?.body.messages.at(-1).content).toMatch(/not the requested JSON/);
    expect(result.ok && result.item.obfuscator).toMatch(/^llm:scripted-test→rule/);
    expect(result.ok && result.item.question).toContain("1945 American comedy film");
  });
});

describe("LLM uniqueness judge (scripted server)", () => {
  it("records the verdict, and a failed call as not checked", async () => {
    server = await startScriptedOpenAIServer({
      script: [
        { content: '{"unique": false, "reason": "two 1945 comedies fit"}' },
        { status: 500, errorBody: { error: { message: "boom" } } },
      ],
    });
    const chain = kissAndTell();
    const item = (
      (await new RuleObfuscator().obfuscate(chain, 2)) as { ok: true; item: import("./types.js").ObfuscatedItem }
    ).item;
    const judge = new LlmUniquenessJudge(model(server.baseUrl));
    const verdict = await judge.check(item, chain);
    expect(verdict).toMatchObject({ passed: false, detail: { reason: "two 1945 comedies fit" } });
    const prompt = server.requests[0]?.body.messages[1].content as string;
    expect(prompt).toContain(`Question: ${item.question}`);
    expect(prompt).toContain("is meant to be Kiss and Tell");
    const failed = await judge.check(item, chain);
    expect(failed.passed).toBeNull();
    expect(String(failed.detail.error)).toMatch(/500|boom/);
  });

  it("extracts JSON from fenced or chatty replies", () => {
    expect(extractJsonObject('Here: {"a": 1} done')).toEqual({ a: 1 });
    expect(extractJsonObject("```json\n[1]\n```")).toEqual([1]);
    expect(extractJsonObject("nothing")).toBeUndefined();
  });
});
