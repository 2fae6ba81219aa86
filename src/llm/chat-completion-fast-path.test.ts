import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ChatCompletionSchema, readCommonChatCompletion } from "./openai-compatible.js";

/** Values a field may hold in a reply, right or wrong for it. */
const anyValue = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.string({ maxLength: 4 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant([]),
  fc.constant({}),
  fc.array(fc.integer({ min: -3, max: 3 }), { maxLength: 3 }),
  fc.constant([1.5]),
);

/** Mostly a right value, sometimes any value (so most bodies are near-valid and some fields are wrong). */
const maybe = <T>(value: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: value, weight: 12 }, { arbitrary: anyValue as fc.Arbitrary<unknown>, weight: 1 });

const toolCall = fc.record(
  {
    id: maybe(fc.string()),
    type: maybe(fc.constant("function")),
    function: maybe(fc.record({ name: maybe(fc.string()), arguments: maybe(fc.string()) }, { requiredKeys: [] })),
  },
  { requiredKeys: [] },
);

const choice = fc.record(
  {
    index: maybe(fc.nat()),
    message: maybe(
      fc.record(
        {
          role: fc.constant("assistant"),
          content: maybe(fc.string()),
          reasoning_content: maybe(fc.string()),
          reasoning: maybe(fc.string()),
          tool_calls: maybe(fc.array(toolCall, { maxLength: 2 })),
        },
        { requiredKeys: [] },
      ),
    ),
    finish_reason: maybe(fc.string()),
    logprobs: fc.oneof(fc.constant(undefined), fc.constant(null), fc.constant({ content: [] })),
    token_ids: maybe(fc.array(fc.nat(), { maxLength: 3 })),
  },
  { requiredKeys: [] },
);

const body = fc.record(
  {
    id: fc.string(),
    model: maybe(fc.string()),
    choices: maybe(fc.array(choice, { maxLength: 2 })),
    usage: maybe(
      fc.record(
        { prompt_tokens: maybe(fc.nat()), completion_tokens: maybe(fc.nat()), cost: maybe(fc.double({ noNaN: true })) },
        { requiredKeys: [] },
      ),
    ),
    prompt_token_ids: maybe(fc.array(fc.nat(), { maxLength: 3 })),
  },
  { requiredKeys: [] },
);

describe("readCommonChatCompletion (the hand-checked fast path)", () => {
  it("accepts only bodies the zod schema accepts, with the same values in the fields the client reads", () => {
    let taken = 0;
    fc.assert(
      fc.property(body, (raw) => {
        const fast = readCommonChatCompletion(raw);
        if (!fast) return;
        taken += 1;
        const parsed = ChatCompletionSchema.safeParse(raw);
        expect(parsed.success).toBe(true);
        if (!parsed.success) return;
        expect(fast.model ?? undefined).toEqual(parsed.data.model ?? undefined);
        expect(fast.usage ?? undefined).toEqual(parsed.data.usage ?? undefined);
        expect(fast.prompt_token_ids ?? undefined).toEqual(parsed.data.prompt_token_ids ?? undefined);
        expect(fast.choices.length).toBe(parsed.data.choices.length);
        fast.choices.forEach((fastChoice, index) => {
          const zodChoice = parsed.data.choices[index]!;
          expect(fastChoice.index).toEqual(zodChoice.index);
          expect(fastChoice.finish_reason).toEqual(zodChoice.finish_reason);
          expect(fastChoice.token_ids).toEqual(zodChoice.token_ids);
          expect(fastChoice.message.content).toEqual(zodChoice.message.content);
          expect(fastChoice.message.reasoning_content).toEqual(zodChoice.message.reasoning_content);
          expect(fastChoice.message.reasoning).toEqual(zodChoice.message.reasoning);
          expect(fastChoice.message.tool_calls).toEqual(zodChoice.message.tool_calls);
        });
      }),
      { numRuns: 3000, seed: 7 },
    );
    expect(taken).toBeGreaterThan(30); // the fast path was really exercised
  });

  it("takes the usual reply, and leaves logprobs and malformed bodies to zod", () => {
    const usual = {
      id: "chatcmpl-1",
      object: "chat.completion",
      model: "m",
      choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
      usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
    };
    expect(readCommonChatCompletion(usual)).toBe(usual);
    const withLogprobs = { ...usual, choices: [{ ...usual.choices[0], logprobs: { content: [] } }] };
    expect(readCommonChatCompletion(withLogprobs)).toBeUndefined();
    expect(readCommonChatCompletion({ ...usual, choices: [] })).toBeUndefined();
    expect(readCommonChatCompletion({ ...usual, choices: [{ ...usual.choices[0], index: null }] })).toBeUndefined();
    expect(readCommonChatCompletion({ ...usual, usage: { prompt_tokens: "3" } })).toBeUndefined();
    expect(readCommonChatCompletion({ ...usual, prompt_token_ids: [1.5] })).toBeUndefined();
  });
});
