import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ChatResponse } from "../../llm/chat-model.js";
import type { Tool } from "../../tools/tool.js";
import { nativeToolsProtocol } from "./native-tools.js";
import { extractTaggedAnswer, type ProtocolContext, truncateMiddle } from "./protocol.js";
import { cutReact, parseToolCallBody, reactProtocol } from "./react.js";
import { cutSearchR1, searchR1Protocol } from "./search-r1.js";

const tool = (name: string) => ({ name }) as unknown as Tool;
const context: ProtocolContext = {
  question: "q",
  tools: [tool("search"), tool("visit")],
  toolDefinitions: [],
  currentDate: "2026-01-01",
};
const reply = (text: string, extra: Partial<ChatResponse> = {}): ChatResponse => ({
  text,
  toolCalls: [],
  finishReason: "length",
  usage: { promptTokens: 0, completionTokens: 0 },
  ...extra,
});
// Strings rich in the protocol's tags and JSON punctuation.
const tagged = fc
  .array(
    fc.oneof(
      fc.string(),
      fc.constantFrom(
        "<think>",
        "</think>",
        "<search>",
        "</search>",
        "<answer>",
        "</answer>",
        "<tool_call>",
        "</tool_call>",
        "<tool_response>",
        "{",
        "}",
        '"name"',
        ":",
        '"search"',
        '"arguments"',
        "\n",
      ),
    ),
    { maxLength: 30 },
  )
  .map((parts) => parts.join(""));

describe("protocol parsers under fuzzing", () => {
  it("never throw and always classify the turn", () => {
    fc.assert(
      fc.property(tagged, fc.boolean(), (text, final) => {
        for (const protocol of [searchR1Protocol, reactProtocol, nativeToolsProtocol]) {
          const parsed = protocol.parse(reply(text), context, final);
          expect(["tool", "answer", "invalid"]).toContain(parsed.action);
          if (parsed.action === "tool") expect(parsed.calls.length).toBeGreaterThan(0);
          if (parsed.action === "invalid" && parsed.calls.length === 0) expect(parsed.feedback).toBeTruthy();
          protocol.observationMessages(parsed, []);
        }
      }),
      { numRuns: 400 },
    );
  });

  it("search-r1 cutting is idempotent and keeps a prefix", () => {
    fc.assert(
      fc.property(tagged, (text) => {
        const cut = cutSearchR1(text);
        expect(text.startsWith(cut)).toBe(true);
        expect(cutSearchR1(cut)).toBe(cut);
      }),
    );
  });

  it("react recovers any well-formed call, with surrounding noise", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 3 }),
        fc.string().filter((noise) => !/<tool_call>|<tool_response>|<answer>/.test(noise)),
        (queries, noise) => {
          const body = JSON.stringify({ name: "search", arguments: { query: queries } });
          const parsed = reactProtocol.parse(reply(`${noise}<tool_call>${body}</tool_call>`), context, false);
          expect(parsed.action).toBe("tool");
          expect(parsed.calls[0]).toMatchObject({ name: "search", arguments: { query: queries } });
        },
      ),
    );
  });

  it("react reads JSON5 and string-encoded arguments, and rejects unknown tools", () => {
    const names = new Set(["search"]);
    expect(parseToolCallBody("{name:'search',arguments:{query:['a'],}}", 0, names).arguments).toEqual({ query: ["a"] });
    expect(parseToolCallBody('{"name":"search","arguments":"{\\"query\\":[\\"b\\"]}"}', 0, names).arguments).toEqual({
      query: ["b"],
    });
    expect(parseToolCallBody('{"name":"python","arguments":{}}', 0, names).error).toContain("not found");
    expect(parseToolCallBody("[1,2]", 0, names).error).toContain("not valid JSON");
    expect(cutReact("a <tool_call>x</tool_call>\n<tool_response>y")).toBe("a <tool_call>x</tool_call>");
  });

  it("the answer is the text between the first tags", () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !s.includes("</answer>")),
        fc.string(),
        (answer, rest) => {
          expect(extractTaggedAnswer(`x<answer>${answer}</answer>${rest}`)).toBe(answer.trim());
        },
      ),
    );
    expect(extractTaggedAnswer("<answer>open")).toBeUndefined();
  });

  it("middle truncation respects the cap and keeps both ends", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 500 }), fc.integer({ min: 60, max: 400 }), (text, cap) => {
        const cut = truncateMiddle(text, cap);
        expect(cut.length).toBeLessThanOrEqual(cap);
        if (text.length > cap) expect(cut.startsWith(text.slice(0, 5))).toBe(true);
        else expect(cut).toBe(text);
      }),
    );
  });
});
