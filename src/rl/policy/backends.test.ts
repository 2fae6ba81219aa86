import { afterEach, describe, expect, it } from "vitest";
import { type ScriptedOpenAIServer, startScriptedOpenAIServer } from "../../../test/fixtures/scripted-openai-server.js";
import { OpenAICompatibleChatModel } from "../../llm/openai-compatible.js";
import { OpenAISamplingPolicy } from "./openai-sampling-policy.js";

let server: ScriptedOpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("OpenAISamplingPolicy (token-in/token-out)", () => {
  it("sends prompt ids and stop ids and keeps the returned ids and logprobs verbatim", async () => {
    server = await startScriptedOpenAIServer({
      script: [
        { content: "<search> x </search>", tokenIds: [7, 8, 9], logprobs: [-0.1, -0.2, -0.3], finishReason: "stop" },
      ],
    });
    const model = new OpenAICompatibleChatModel({ baseUrl: server.baseUrl, apiKey: "k", model: "policy" });
    const policy = new OpenAISamplingPolicy({ model, tokenizerName: "fixture", maxLength: 4096 });
    const [result] = await policy.sample([[1, 2, 3]], { maxTokens: 16, temperature: 1, stopTokenIds: [9], seed: 5 });
    expect(result).toEqual({ tokenIds: [7, 8, 9], logprobs: [-0.1, -0.2, -0.3], finishReason: "stop" });
    const [request] = server.requestsTo("/v1/completions");
    expect(request?.body.prompt).toEqual([1, 2, 3]);
    expect(request?.body.stop_token_ids).toEqual([9]);
    expect(request?.body.return_token_ids).toBe(true);
    expect(request?.body.max_tokens).toBe(16);
    expect(request?.body.seed).toBe(5);
  });
});
