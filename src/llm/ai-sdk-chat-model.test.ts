import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { afterEach, describe, expect, it } from "vitest";
import { type ScriptedOpenAIServer, startScriptedOpenAIServer } from "../../test/fixtures/scripted-openai-server.js";
import { AiSdkChatModel } from "./ai-sdk-chat-model.js";

describe("AiSdkChatModel over @ai-sdk/openai-compatible (scripted test server)", () => {
  let server: ScriptedOpenAIServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  function modelFor(url: string) {
    const provider = createOpenAICompatible({ name: "local", baseURL: url, apiKey: "test-key" });
    return new AiSdkChatModel(provider.chatModel("scripted-test-model"));
  }

  it("sends the chat and maps text, usage and sampling settings", async () => {
    server = await startScriptedOpenAIServer({ script: [{ content: "<answer>Tim Burton</answer>" }] });
    const model = modelFor(server.baseUrl);
    const response = await model.complete({
      messages: [
        { role: "system", content: "Answer in <answer> tags." },
        { role: "user", content: "Who directed Ed Wood?" },
      ],
      temperature: 0.6,
      topP: 0.95,
      maxTokens: 64,
      stop: ["</answer>"],
    });
    expect(model.name).toBe("scripted-test-model");
    expect(response.text).toBe("<answer>Tim Burton</answer>");
    expect(response.finishReason).toBe("stop");
    expect(response.usage.completionTokens).toBeGreaterThan(0);
    const body = server.requests[0]?.body;
    expect(body.model).toBe("scripted-test-model");
    expect(body.messages).toEqual([
      { role: "system", content: "Answer in <answer> tags." },
      { role: "user", content: "Who directed Ed Wood?" },
    ]);
    expect(body).toMatchObject({ temperature: 0.6, top_p: 0.95, max_tokens: 64, stop: ["</answer>"] });
    expect(server.requests[0]?.headers.authorization).toBe("Bearer test-key");
  });

  it("round-trips native tool calls and tool results", async () => {
    server = await startScriptedOpenAIServer({
      script: [{ toolCalls: [{ id: "call_1", name: "search", arguments: { query: ["Ed Wood director"] } }] }],
    });
    const model = modelFor(server.baseUrl);
    const tools = [
      {
        name: "search",
        description: "search the corpus",
        parameters: { type: "object", properties: { query: { type: "array", items: { type: "string" } } } },
      },
    ];
    const first = await model.complete({ messages: [{ role: "user", content: "Who directed Ed Wood?" }], tools });
    expect(first.finishReason).toBe("tool_calls");
    expect(first.toolCalls).toEqual([
      {
        id: "call_1",
        name: "search",
        arguments: { query: ["Ed Wood director"] },
        raw: '{"query":["Ed Wood director"]}',
      },
    ]);
    expect(server.requests[0]?.body.tools[0].function.name).toBe("search");

    server.enqueue({ content: "<answer>Tim Burton</answer>" });
    const second = await model.complete({
      messages: [
        { role: "user", content: "Who directed Ed Wood?" },
        { role: "assistant", content: "", toolCalls: first.toolCalls },
        { role: "tool", toolCallId: "call_1", content: "Ed Wood is a 1994 film directed by Tim Burton." },
      ],
      tools,
    });
    expect(second.text).toBe("<answer>Tim Burton</answer>");
    const sent = server.requests[1]?.body.messages;
    expect(sent[1].tool_calls[0]).toMatchObject({ id: "call_1", function: { name: "search" } });
    expect(JSON.parse(sent[1].tool_calls[0].function.arguments)).toEqual({ query: ["Ed Wood director"] });
    expect(sent[2]).toMatchObject({ role: "tool", tool_call_id: "call_1" });
    expect(JSON.stringify(sent[2].content)).toContain("Tim Burton");
  });

  it("reports server errors as ProviderError", async () => {
    server = await startScriptedOpenAIServer({ script: [{ status: 500, errorBody: { error: { message: "boom" } } }] });
    await expect(modelFor(server.baseUrl).complete({ messages: [{ role: "user", content: "x" }] })).rejects.toThrow(
      /AI SDK model scripted-test-model failed/,
    );
  });
});
