import { afterEach, describe, expect, it } from "vitest";
import { type ScriptedOpenAIServer, startScriptedOpenAIServer } from "../../../test/fixtures/scripted-openai-server.js";
import type { Trajectory } from "../../core/trajectory.js";
import { OpenAICompatibleChatModel } from "../../llm/openai-compatible.js";
import { buildTokenBatch } from "../trainer/token-batch.js";
import { OpenAISamplingPolicy } from "./openai-sampling-policy.js";
import { forwardBackwardRequest, optimStepRequest } from "./remote-trainer.js";

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

describe("remote trainer requests (Tinker forward_backward / optim_step shapes)", () => {
  it("aligns targets to seq[1:], zeroes observation advantages and carries sampler logprobs", () => {
    const trajectory = {
      version: 1,
      id: "t",
      question: "q",
      goldAnswers: [],
      protocol: "search-r1",
      sample: 0,
      messages: [],
      turns: [],
      tokens: {
        tokenizer: "x",
        promptIds: [1, 2],
        spans: [
          { source: "model", turn: 0, ids: [10, 11], logprobs: [-0.5, -0.6] },
          { source: "observation", turn: 0, ids: [20, 21] },
          { source: "model", turn: 1, ids: [12], logprobs: [-0.7] },
        ],
      },
      usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0, llmCalls: 0, toolCalls: 0, costUsd: 0 },
      timings: { startedAt: "", durationMs: 0 },
      termination: "answer",
      prediction: "a",
      reward: { score: 1, components: {}, name: "em" },
      verdicts: [],
      metadata: { uid: "u" },
    } satisfies Trajectory;
    const batch = buildTokenBatch([trajectory]);
    const request = forwardBackwardRequest(batch, [2, 2, 2, 2, 2], { modelId: "m", seqId: 3 });
    const datum = request.forward_backward_input.data[0];
    expect(datum?.model_input.chunks[0]?.tokens).toEqual([1, 2, 10, 11, 20, 21]);
    expect(datum?.loss_fn_inputs.target_tokens?.data).toEqual([2, 10, 11, 20, 21, 12]);
    expect(datum?.loss_fn_inputs.advantages?.data).toEqual([0, 2, 2, 0, 0, 2]);
    expect(datum?.loss_fn_inputs.logprobs?.data).toEqual([0, -0.5, -0.6, 0, 0, -0.7]);
    expect(request.seq_id).toBe(3);
    expect(optimStepRequest("m", { learning_rate: 1e-5 }).adam_params).toMatchObject({
      learning_rate: 1e-5,
      beta2: 0.95,
    });
  });
});
