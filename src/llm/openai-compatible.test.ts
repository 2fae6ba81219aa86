import { afterEach, describe, expect, it } from "vitest";
import {
  fixtureTokenize,
  type ScriptedOpenAIServer,
  startScriptedOpenAIServer,
} from "../../test/fixtures/scripted-openai-server.js";
import { ProviderError } from "../core/errors.js";
import { OpenAICompatibleChatModel } from "./openai-compatible.js";
import { splitThink, wrapReasoning } from "./reasoning.js";
import { MemoryResponseCache } from "./response-cache.js";
import { backoffDelay, parseRetryAfter } from "./retry.js";

let server: ScriptedOpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function client(extra: Partial<ConstructorParameters<typeof OpenAICompatibleChatModel>[0]> = {}) {
  return new OpenAICompatibleChatModel({
    baseUrl: server!.baseUrl,
    apiKey: "sk-test",
    model: "policy",
    retryBaseDelayMs: 5,
    retryMaxDelayMs: 50,
    ...extra,
  });
}

describe("OpenAICompatibleChatModel", () => {
  it("sends the chat request and records vLLM token ids, logprobs and prompt ids", async () => {
    server = await startScriptedOpenAIServer({
      script: [
        {
          content: "<search>paris</search>",
          tokenIds: [11, 12, 13],
          logprobs: [-0.1, -0.2, -0.3],
          promptTokenIds: [1, 2],
          usage: { prompt_tokens: 2, completion_tokens: 3 },
        },
      ],
    });
    const model = client({ tokenIds: true, price: { inputPerMillion: 1_000_000, outputPerMillion: 2_000_000 } });
    const response = await model.complete({
      messages: [
        { role: "system", content: "sys" },
        { role: "user", content: "q" },
      ],
      stop: ["</search>"],
      temperature: 0.6,
      topP: 0.95,
      maxTokens: 64,
      seed: 7,
    });
    expect(response.text).toBe("<search>paris</search>");
    expect(response.tokenIds).toEqual([11, 12, 13]);
    expect(response.logprobs).toEqual([-0.1, -0.2, -0.3]);
    expect(response.promptTokenIds).toEqual([1, 2]);
    expect(response.usage).toEqual({ promptTokens: 2, completionTokens: 3 });
    expect(response.costUsd).toBe(2 + 6);
    const sent = server.requests[0]!;
    expect(sent.path).toBe("/v1/chat/completions");
    expect(sent.headers.authorization).toBe("Bearer sk-test");
    expect(sent.body).toEqual({
      model: "policy",
      messages: [
        { role: "system", content: "sys" },
        { role: "user", content: "q" },
      ],
      temperature: 0.6,
      top_p: 0.95,
      max_tokens: 64,
      seed: 7,
      stop: ["</search>"],
      logprobs: true,
      return_tokens_as_token_ids: true,
      return_token_ids: true,
      // With token ids and stop strings, the stop string's tokens must stay in the sample (the next prompt extends it).
      include_stop_str_in_output: true,
    });
  });

  it("derives token ids from token_id:N logprob tokens when token_ids is absent", async () => {
    server = await startScriptedOpenAIServer({
      script: [
        (request) => ({
          rawBody: {
            choices: [
              {
                message: { content: "ab" },
                finish_reason: "stop",
                logprobs: {
                  content: [
                    { token: "token_id:42", logprob: -1.5 },
                    { token: "token_id:43", logprob: -0.5 },
                  ],
                },
              },
            ],
            model: request.body.model,
          },
        }),
      ],
    });
    const response = await client().complete({ messages: [{ role: "user", content: "x" }], tokenIds: true });
    expect(response.tokenIds).toEqual([42, 43]);
    expect(response.logprobs).toEqual([-1.5, -0.5]);
    expect(response.usage.completionTokens).toBe(2);
  });

  it("streams content, reasoning, tool calls and token data and reports deltas", async () => {
    const content = "I will look it up now";
    server = await startScriptedOpenAIServer({
      script: [
        {
          reasoning: "need facts",
          content,
          toolCalls: [{ id: "c9", name: "search", arguments: { query: ["eiffel tower height"] } }],
        },
      ],
    });
    const deltas: string[] = [];
    const response = await client().complete({
      messages: [{ role: "user", content: "q" }],
      tools: [{ name: "search", description: "search", parameters: { type: "object" } }],
      stream: true,
      tokenIds: true,
      onDelta: (delta) => deltas.push(delta.text ?? ""),
    });
    expect(response.text).toBe(content);
    expect(deltas.join("")).toBe(content);
    expect(response.reasoning).toBe("need facts");
    expect(response.toolCalls).toEqual([
      {
        id: "c9",
        name: "search",
        arguments: { query: ["eiffel tower height"] },
        raw: '{"query":["eiffel tower height"]}',
      },
    ]);
    expect(response.finishReason).toBe("tool_calls");
    const expected = fixtureTokenize(content);
    expect(response.tokenIds).toEqual(expected.map((t) => t.id));
    expect(response.logprobs).toEqual(expected.map((t) => t.logprob));
    expect(response.usage.completionTokens).toBe(expected.length);
    const body = server.requests[0]!.body;
    expect(body.stream).toBe(true);
    expect(body.stream_options).toEqual({ include_usage: true });
    expect(body.tools[0]).toEqual({
      type: "function",
      function: { name: "search", description: "search", parameters: { type: "object" } },
    });
  });

  it("sends native tool calls and tool results back in OpenAI wire form", async () => {
    server = await startScriptedOpenAIServer({ script: [{ content: "done" }] });
    await client().complete({
      messages: [
        { role: "user", content: "q" },
        { role: "assistant", content: "", toolCalls: [{ id: "c1", name: "search", arguments: { query: ["a"] } }] },
        { role: "tool", content: "result", toolCallId: "c1", name: "search" },
      ],
      responseFormat: "json",
    });
    const body = server.requests[0]!.body;
    expect(body.messages[1]).toEqual({
      role: "assistant",
      content: null,
      tool_calls: [{ id: "c1", type: "function", function: { name: "search", arguments: '{"query":["a"]}' } }],
    });
    expect(body.messages[2]).toEqual({ role: "tool", content: "result", tool_call_id: "c1" });
    expect(body.response_format).toEqual({ type: "json_object" });
  });

  it("retries 429 (honouring Retry-After), 503 and connection resets, then succeeds", async () => {
    server = await startScriptedOpenAIServer({
      script: [{ status: 429, retryAfter: "0.01" }, { status: 503 }, { dropConnection: true }, { content: "ok" }],
    });
    const retries: (number | undefined)[] = [];
    const model = client({ onRetry: (error) => retries.push(error.status) });
    const response = await model.complete({ messages: [{ role: "user", content: "q" }] });
    expect(response.text).toBe("ok");
    expect(retries).toEqual([429, 503, undefined]);
    expect(server.requests).toHaveLength(4);
  });

  it("does not retry a 400 and raises a ProviderError with the server's message", async () => {
    server = await startScriptedOpenAIServer({
      script: [{ status: 400, errorBody: { error: { message: "context too long" } } }, { content: "never" }],
    });
    const error = await client()
      .complete({ messages: [{ role: "user", content: "q" }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).status).toBe(400);
    expect((error as ProviderError).message).toContain("context too long");
    expect(server.requests).toHaveLength(1);
  });

  it("gives up after maxRetries", async () => {
    server = await startScriptedOpenAIServer({ fallback: { status: 500 } });
    const error = await client({ maxRetries: 2 })
      .complete({ messages: [{ role: "user", content: "q" }] })
      .catch((caught: unknown) => caught);
    expect((error as ProviderError).status).toBe(500);
    expect(server.requests).toHaveLength(3);
  });

  it("times out a slow try and retries it", async () => {
    server = await startScriptedOpenAIServer({ script: [{ content: "late", delayMs: 400 }, { content: "fast" }] });
    const response = await client({ timeoutMs: 100 }).complete({ messages: [{ role: "user", content: "q" }] });
    expect(response.text).toBe("fast");
  });

  it("cancels through an AbortSignal", async () => {
    server = await startScriptedOpenAIServer({ fallback: { content: "slow", delayMs: 2_000 } });
    const controller = new AbortController();
    const pending = client().complete({ messages: [{ role: "user", content: "q" }] }, controller.signal);
    setTimeout(() => controller.abort(), 30);
    await expect(pending).rejects.toMatchObject({ code: "cancelled" });
  });

  it("serves repeated requests from the response cache", async () => {
    server = await startScriptedOpenAIServer({ script: [{ content: "first" }, { content: "second" }] });
    const model = client({ cache: new MemoryResponseCache() });
    const request = { messages: [{ role: "user" as const, content: "q" }] };
    const one = await model.complete(request);
    const two = await model.complete(request);
    const three = await model.complete({ ...request, cacheSalt: "sample-1" });
    expect([one.text, two.text, three.text]).toEqual(["first", "first", "second"]);
    expect(two.cached).toBe(true);
    expect(server.requests).toHaveLength(2);
  });

  it("runs token-in completions with prompt ids and returns sampled ids and logprobs", async () => {
    server = await startScriptedOpenAIServer({
      script: [
        {
          choices: [
            { content: " Paris", tokenIds: [77], logprobs: [-0.05] },
            { content: " Rome", tokenIds: [78], logprobs: [-2] },
          ],
        },
      ],
    });
    const response = await client().completeTokens({ promptIds: [3, 4, 5], maxTokens: 8, n: 2, stopTokenIds: [0] });
    expect(response.promptTokenIds).toEqual([3, 4, 5]);
    expect(response.samples).toEqual([
      { text: " Paris", tokenIds: [77], logprobs: [-0.05], finishReason: "stop" },
      { text: " Rome", tokenIds: [78], logprobs: [-2], finishReason: "stop" },
    ]);
    const body = server.requestsTo("/v1/completions")[0]!.body;
    expect(body).toMatchObject({ prompt: [3, 4, 5], logprobs: 1, return_token_ids: true, n: 2, stop_token_ids: [0] });
  });
});

describe("retry and reasoning helpers", () => {
  it("parses Retry-After seconds and dates", () => {
    expect(parseRetryAfter("2")).toBe(2000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter("soon")).toBeUndefined();
  });

  it("backs off exponentially with jitter under the cap", () => {
    const policy = { maxRetries: 5, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(0, { ...policy, random: () => 0 })).toBe(50);
    expect(backoffDelay(2, { ...policy, random: () => 1 })).toBe(400);
    expect(backoffDelay(10, { ...policy, random: () => 1 })).toBe(1000);
  });

  it("re-wraps separate reasoning and splits think blocks", () => {
    expect(wrapReasoning("<answer>x</answer>", "because")).toBe("<think>\nbecause\n</think>\n<answer>x</answer>");
    expect(wrapReasoning("plain", undefined)).toBe("plain");
    expect(splitThink("<think> a </think> b")).toEqual({ reasoning: "a", rest: "b" });
    expect(splitThink("hidden</think>\nanswer")).toEqual({ reasoning: "hidden", rest: "answer" });
  });
});
