import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type ScriptedOpenAIServer, startScriptedOpenAIServer } from "../../test/fixtures/scripted-openai-server.js";
import { toSftChatml } from "../collect/sft-export.js";
import { flattenTokens, TrajectorySchema } from "../core/trajectory.js";
import { buildCorpus } from "../corpus/build.js";
import { openCorpus } from "../corpus/sqlite-corpus.js";
import type { Corpus } from "../corpus/types.js";
import { OpenAICompatibleChatModel } from "../llm/openai-compatible.js";
import { CorpusSearchProvider } from "../tools/search/corpus-provider.js";
import { SearchTool } from "../tools/search/search-tool.js";
import { VisitTool } from "../tools/visit-tool.js";
import { OMITTED_TOOL_RESULT } from "./context-strategy.js";
import { FORCED_ANSWER_INSTRUCTION } from "./protocols/protocol.js";
import { REACT_BAD_JSON_FEEDBACK, REACT_NO_ACTION_FEEDBACK, REACT_UNCLOSED_FEEDBACK } from "./protocols/react.js";
import { SEARCH_R1_INVALID_FEEDBACK } from "./protocols/search-r1.js";
import { runAgent } from "./run-agent.js";
import { SUMMARY_SYSTEM_PROMPT } from "./summarize-history.js";
import type { AgentEvent } from "./types.js";

let home: string;
let corpus: Corpus;
let server: ScriptedOpenAIServer | undefined;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "drkit-agent-"));
  await buildCorpus({ name: "wiki", from: ["data/wiki_sample/search_r1_example_corpus10.jsonl"], home, quiet: true });
  corpus = openCorpus("wiki", { home });
});
afterAll(() => {
  corpus.close();
  rmSync(home, { recursive: true, force: true });
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const model = (extra: Partial<ConstructorParameters<typeof OpenAICompatibleChatModel>[0]> = {}) =>
  new OpenAICompatibleChatModel({
    baseUrl: server!.baseUrl,
    model: "policy",
    retryBaseDelayMs: 1,
    maxRetries: 1,
    ...extra,
  });
const search = () => new SearchTool({ provider: new CorpusSearchProvider(corpus) });

describe("search-r1 protocol", () => {
  it("asks for stop strings in the output whenever the endpoint requests token ids (model.tokenIds in config)", async () => {
    server = await startScriptedOpenAIServer({ script: [{ content: "<answer> x </answer>" }] });
    await runAgent({ question: "q", protocol: "search-r1", model: model({ tokenIds: true }), tools: [search()] });
    expect(server.requests[0]?.body).toMatchObject({ return_token_ids: true, include_stop_str_in_output: true });
  });

  it("searches, reads the information block and answers, with the token view from server ids", async () => {
    server = await startScriptedOpenAIServer({
      script: [
        {
          content: "<think>who is he</think>\n<search>Evan Morris lobbyist</search>",
          tokenIds: [10, 11, 12],
          logprobs: [-0.1, -0.2, -0.3],
          promptTokenIds: [1, 2, 3],
        },
        {
          content: "<think>found</think>\n<answer>Genentech</answer>",
          tokenIds: [13, 14],
          logprobs: [-0.4, -0.5],
          promptTokenIds: [1, 2, 3, 10, 11, 12, 50, 51, 52],
        },
      ],
    });
    const events: AgentEvent[] = [];
    const trajectory = await runAgent({
      question: "Which company did Evan Morris lobby for?",
      questionId: "q1",
      goldAnswers: ["Genentech"],
      protocol: "search-r1",
      model: model(),
      tools: [search()],
      tokenIds: true,
      onEvent: (event) => events.push(event),
    });
    expect(TrajectorySchema.parse(trajectory)).toEqual(trajectory);
    expect(trajectory.termination).toBe("answer");
    expect(trajectory.prediction).toBe("Genentech");
    expect(trajectory.turns.map((turn) => turn.action)).toEqual(["tool", "answer"]);
    const first = trajectory.turns[0]!;
    expect(first.toolCalls[0]).toMatchObject({ name: "search", arguments: { query: ["Evan Morris lobbyist"] } });
    expect(first.toolResults[0]!.sources[0]).toBe("0");
    expect(first.observation!.startsWith('\n\n<information>Doc 1(Title: "Evan Morris") Evan Morris')).toBe(true);
    expect(first.observation!.endsWith("</information>\n\n")).toBe(true);
    expect(first.tokenIds).toEqual([10, 11, 12]);
    expect(trajectory.tokens).toEqual({
      tokenizer: "policy",
      promptIds: [1, 2, 3],
      spans: [
        { source: "model", turn: 0, ids: [10, 11, 12], logprobs: [-0.1, -0.2, -0.3] },
        { source: "observation", turn: 0, ids: [50, 51, 52] },
        { source: "model", turn: 1, ids: [13, 14], logprobs: [-0.4, -0.5] },
      ],
    });
    expect(flattenTokens(trajectory.tokens!).responseMask).toEqual([1, 1, 1, 0, 0, 0, 1, 1]);
    // What was sent: a single user prompt, then the model turn and the information block.
    const [one, two] = server.requests.map((request) => request.body);
    expect(one.messages).toHaveLength(1);
    expect(one.messages[0].content).toContain("Question: Which company did Evan Morris lobby for?\n");
    expect(one.stop).toEqual(["</search>", "</answer>"]);
    expect(one).toMatchObject({ logprobs: true, return_token_ids: true, include_stop_str_in_output: true });
    expect(two.messages.map((m: { role: string }) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(two.messages[2].content).toBe(first.observation);
    expect(events.map((event) => event.type)).toEqual([
      "run-start",
      "step-start",
      "think",
      "tool-call",
      "tool-result",
      "step-end",
      "step-start",
      "think",
      "answer",
      "step-end",
      "run-end",
    ]);
  });

  it("re-closes a search tag swallowed by the stop string and gives invalid-action feedback", async () => {
    server = await startScriptedOpenAIServer({
      script: [
        { content: "I am not sure what to do", finishReason: "stop" },
        { content: "<search>Evan Morris", finishReason: "stop" },
        { content: "<answer>Roche</answer>" },
      ],
    });
    const trajectory = await runAgent({ question: "q", protocol: "search-r1", model: model(), tools: [search()] });
    expect(trajectory.turns.map((turn) => turn.action)).toEqual(["invalid", "tool", "answer"]);
    expect(trajectory.turns[0]!.observation).toBe(SEARCH_R1_INVALID_FEEDBACK);
    expect(trajectory.turns[1]!.text).toBe("<search>Evan Morris</search>");
    expect(trajectory.prediction).toBe("Roche");
  });

  it("after max turns makes one final call with search disabled", async () => {
    server = await startScriptedOpenAIServer({
      fallback: { content: "<search>again</search>" },
    });
    const trajectory = await runAgent({
      question: "q",
      protocol: "search-r1",
      model: model(),
      tools: [search()],
      limits: { maxTurns: 2 },
    });
    expect(trajectory.turns).toHaveLength(3);
    expect(trajectory.turns[2]!.action).toBe("invalid");
    expect(trajectory.turns[2]!.toolResults).toEqual([]);
    expect(trajectory.termination).toBe("max turns reached");
    expect(trajectory.prediction).toBeNull();
  });
});

describe("react protocol", () => {
  it("parses JSON5 tool calls, reports bad calls and unknown tools, and answers", async () => {
    server = await startScriptedOpenAIServer({
      script: [
        {
          content:
            "<think>start</think>\n<tool_call>{name: 'search', arguments: {query: ['Evan Morris'],},}</tool_call>",
        },
        { content: "<tool_call>{not json</tool_call>" },
        { content: '<tool_call>{"name": "calculator", "arguments": {}}</tool_call>' },
        { content: '<tool_call>{"name": "search"' },
        { content: "hmm" },
        { reasoning: "I know it now", content: "<answer>Genentech</answer>" },
      ],
    });
    const trajectory = await runAgent({
      question: "Who employed Evan Morris?",
      protocol: "react",
      model: model(),
      tools: [search(), new VisitTool({ corpus })],
      currentDate: "2026-01-02",
    });
    expect(trajectory.termination).toBe("answer");
    expect(trajectory.prediction).toBe("Genentech");
    expect(trajectory.turns.map((turn) => turn.action)).toEqual([
      "tool",
      "invalid",
      "invalid",
      "invalid",
      "invalid",
      "answer",
    ]);
    expect(trajectory.turns[0]!.toolCalls[0]).toMatchObject({
      id: "call_0_0",
      name: "search",
      arguments: { query: ["Evan Morris"] },
    });
    expect(trajectory.turns[0]!.observation).toMatch(
      /^<tool_response>\nA Google search for 'Evan Morris' found \d+ results:/,
    );
    expect(trajectory.turns[1]!.observation).toBe(`<tool_response>\n${REACT_BAD_JSON_FEEDBACK}\n</tool_response>`);
    expect(trajectory.turns[2]!.observation).toContain('tool "calculator" was not found');
    expect(trajectory.turns[3]!.observation).toBe(REACT_UNCLOSED_FEEDBACK);
    expect(trajectory.turns[4]!.observation).toBe(REACT_NO_ACTION_FEEDBACK);
    // Separate reasoning is re-wrapped in front of the content for the text protocol.
    expect(trajectory.messages.at(-1)!.content).toBe("<think>\nI know it now\n</think>\n<answer>Genentech</answer>");
    const first = server.requests[0]!.body;
    expect(first.stop).toEqual(["\n<tool_response>", "<tool_response>"]);
    expect(first.messages[0].role).toBe("system");
    expect(first.messages[0].content).toContain('<tools>\n{"type":"function","function":{"name":"search"');
    expect(first.messages[0].content).toContain("Current date: 2026-01-02");
    expect(first.messages[1]).toEqual({ role: "user", content: "Who employed Evan Morris?" });
    const last = server.requests.at(-1)!.body;
    expect(last.messages.filter((m: { role: string }) => m.role === "user")).toHaveLength(6);
    expect(last.tools).toBeUndefined();
  });

  it("cuts a self-written tool response and labels an exhausted call budget", async () => {
    server = await startScriptedOpenAIServer({
      fallback: {
        content:
          '<tool_call>{"name": "search", "arguments": {"query": ["x"]}}</tool_call>\n<tool_response>fake</tool_response>',
      },
    });
    const trajectory = await runAgent({
      question: "q",
      protocol: "react",
      model: model(),
      tools: [search()],
      limits: { maxTurns: 3 },
    });
    expect(trajectory.termination).toBe("exceed available llm calls");
    expect(trajectory.turns).toHaveLength(3);
    expect(trajectory.turns[0]!.text).toBe('<tool_call>{"name": "search", "arguments": {"query": ["x"]}}</tool_call>');
    expect(trajectory.prediction).toBeNull();
  });

  it("forces a final answer once the context cap is passed", async () => {
    server = await startScriptedOpenAIServer({
      script: [
        {
          content: '<tool_call>{"name": "search", "arguments": {"query": ["Evan"]}}</tool_call>',
          usage: { prompt_tokens: 900, completion_tokens: 50 },
        },
        { content: "<think>enough</think>\n<answer>Roche</answer>" },
      ],
    });
    const trajectory = await runAgent({
      question: "q",
      protocol: "react",
      model: model(),
      tools: [search()],
      limits: { maxContextTokens: 1000 },
    });
    expect(trajectory.termination).toBe("generate an answer as token limit reached");
    expect(trajectory.prediction).toBe("Roche");
    const forced = server.requests[1]!.body.messages.at(-1);
    expect(forced).toEqual({ role: "user", content: FORCED_ANSWER_INSTRUCTION });
  });

  it("labels a forced answer without tags as a format error", async () => {
    server = await startScriptedOpenAIServer({
      script: [
        {
          content: '<tool_call>{"name": "search", "arguments": {"query": ["Evan"]}}</tool_call>',
          usage: { prompt_tokens: 5000, completion_tokens: 1 },
        },
        { content: "probably Roche" },
      ],
    });
    const trajectory = await runAgent({
      question: "q",
      protocol: "react",
      model: model(),
      tools: [search()],
      limits: { maxContextTokens: 1000 },
    });
    expect(trajectory.termination).toBe("format error: generate an answer as token limit reached");
    expect(trajectory.prediction).toBe("probably Roche");
  });
});

describe("native tools protocol", () => {
  it("runs parallel native tool calls over a stream and answers", async () => {
    server = await startScriptedOpenAIServer({
      script: [
        {
          reasoning: "two searches",
          toolCalls: [
            { id: "a", name: "search", arguments: { query: ["Evan Morris"] } },
            { id: "b", name: "search", arguments: { query: "Genentech" } },
            { id: "c", name: "search", arguments: "{broken" },
          ],
        },
        { content: "<answer>Genentech</answer>" },
      ],
    });
    const deltas: string[] = [];
    const trajectory = await runAgent({
      question: "q",
      protocol: "tools",
      model: model(),
      tools: [search()],
      stream: true,
      sampling: { temperature: 0.6, topP: 0.95 },
      onEvent: (event) => {
        if (event.type === "model-delta" && event.text) deltas.push(event.text);
      },
    });
    expect(trajectory.termination).toBe("answer");
    expect(trajectory.prediction).toBe("Genentech");
    expect(deltas.join("")).toBe("<answer>Genentech</answer>");
    const turn = trajectory.turns[0]!;
    expect(turn.reasoning).toBe("two searches");
    expect(turn.toolResults.map((result) => [result.callId, result.isError])).toEqual([
      ["a", false],
      ["b", false],
      ["c", true],
    ]);
    const second = server.requests[1]!.body;
    expect(second.tools[0].function.name).toBe("search");
    expect(second.tool_choice).toBe("auto");
    expect(second.temperature).toBe(0.6);
    expect(
      second.messages.slice(2).map((m: { role: string; tool_call_id?: string }) => [m.role, m.tool_call_id]),
    ).toEqual([
      ["assistant", undefined],
      ["tool", "a"],
      ["tool", "b"],
      ["tool", "c"],
    ]);
    expect(second.messages[2].tool_calls.map((call: { id: string }) => call.id)).toEqual(["a", "b", "c"]);
    // The schemas sent are recorded, so an SFT export renders the prompt the model saw.
    expect(trajectory.tools?.map((tool) => tool.name)).toEqual(["search"]);
    expect(toSftChatml(trajectory).tools).toEqual(second.tools);
  });
});

describe("context strategies", () => {
  it("keep-last-k sends placeholders for older tool results and keeps every result in the trajectory", async () => {
    const searchCall = (query: string) => ({
      content: `<tool_call>{"name": "search", "arguments": {"query": ["${query}"]}}</tool_call>`,
    });
    server = await startScriptedOpenAIServer({
      script: [
        searchCall("Ed Wood"),
        searchCall("Scott Derrickson"),
        searchCall("Tim Burton"),
        { content: "<answer>yes</answer>" },
      ],
    });
    const trajectory = await runAgent({
      question: "Were Scott Derrickson and Ed Wood of the same nationality?",
      protocol: "react",
      model: model(),
      tools: [search()],
      context: { strategy: "keep-last-k", k: 2 },
    });
    expect(trajectory.prediction).toBe("yes");
    const last = server.requests[3]!.body.messages as { role: string; content: string }[];
    const observations = last.filter((message) => message.content.startsWith("<tool_response>"));
    expect(observations.map((message) => message.content.includes(OMITTED_TOOL_RESULT))).toEqual([true, false, false]);
    expect(observations[0]!.content).toBe(`<tool_response>\n${OMITTED_TOOL_RESULT}\n</tool_response>`);
    expect(observations[2]!.content).toContain("Tim Burton");
    // The record keeps the full text of every result, and says which strategy ran.
    const recorded = trajectory.messages.filter((message) => message.content.startsWith("<tool_response>"));
    expect(recorded).toHaveLength(3);
    expect(recorded.some((message) => message.content.includes(OMITTED_TOOL_RESULT))).toBe(false);
    expect(recorded[0]!.content).toContain("Ed Wood");
    expect(trajectory.metadata.context).toEqual({ strategy: "keep-last-k", k: 2 });
  });

  it("summarize condenses the history past the threshold and restarts from the question and the summary", async () => {
    const searchCall = (query: string, promptTokens: number) => ({
      content: `<tool_call>{"name": "search", "arguments": {"query": ["${query}"]}}</tool_call>`,
      usage: { prompt_tokens: promptTokens, completion_tokens: 20 },
    });
    server = await startScriptedOpenAIServer({
      script: [
        searchCall("Ed Wood", 300),
        searchCall("Scott Derrickson", 900),
        { content: "<think>condense</think><summary>Ed Wood: American. Scott Derrickson: American.</summary>" },
        { content: "<answer>yes</answer>", usage: { prompt_tokens: 200, completion_tokens: 5 } },
      ],
    });
    const events: AgentEvent[] = [];
    const trajectory = await runAgent({
      question: "Were Scott Derrickson and Ed Wood of the same nationality?",
      protocol: "react",
      model: model(),
      tools: [search()],
      context: { strategy: "summarize", thresholdTokens: 600 },
      onEvent: (event) => events.push(event),
    });
    expect(trajectory.prediction).toBe("yes");
    expect(server.requests).toHaveLength(4);
    // The third call is the summariser's: its own prompt, the question and the whole segment.
    const summaryCall = server.requests[2]!.body.messages as { role: string; content: string }[];
    expect(summaryCall[0]!.content).toBe(SUMMARY_SYSTEM_PROMPT);
    expect(summaryCall[1]!.content).toContain("Question: Were Scott Derrickson");
    expect(summaryCall[1]!.content).toContain("A Google search for 'Scott Derrickson'");
    // The episode restarts: system + user (question + summary), none of the old tool results.
    const resumed = server.requests[3]!.body.messages as { role: string; content: string }[];
    expect(resumed.map((message) => message.role)).toEqual(["system", "user"]);
    expect(resumed[1]!.content).toContain("<summary>\nEd Wood: American. Scott Derrickson: American.\n</summary>");
    expect(resumed[1]!.content).not.toContain("<tool_response>");
    // The record: one earlier segment with its full messages; the trajectory's messages are the last segment.
    expect(trajectory.segments).toHaveLength(1);
    const segment = trajectory.segments![0]!;
    expect(segment).toMatchObject({ firstTurn: 0, lastTurn: 1 });
    // prompt + completion of the last call, plus the observation at ~4 characters a token
    expect(segment.contextTokens).toBe(900 + 20 + Math.ceil(trajectory.turns[1]!.observation!.length / 4));
    expect(segment.summary).toBe("Ed Wood: American. Scott Derrickson: American.");
    expect(segment.messages.filter((message) => message.content.startsWith("<tool_response>"))).toHaveLength(2);
    expect(trajectory.messages[1]!.content).toBe(resumed[1]!.content);
    expect(trajectory.turns.map((turn) => turn.index)).toEqual([0, 1, 2]);
    expect(trajectory.usage.llmCalls).toBe(4);
    expect(events.filter((event) => event.type === "summary")).toEqual([
      { type: "summary", turn: 1, summary: segment.summary, segment: 0 },
    ]);
    expect(TrajectorySchema.parse(JSON.parse(JSON.stringify(trajectory))).segments).toHaveLength(1);
  });

  it("summarize stops after maxSummaries and a summariser failure ends the episode with an error", async () => {
    server = await startScriptedOpenAIServer({
      script: [
        {
          content: '<tool_call>{"name": "search", "arguments": {"query": ["Ed Wood"]}}</tool_call>',
          usage: { prompt_tokens: 900, completion_tokens: 20 },
        },
        { status: 400 },
      ],
    });
    const failed = await runAgent({
      question: "q",
      protocol: "react",
      model: model(),
      tools: [search()],
      context: { strategy: "summarize", thresholdTokens: 600 },
    });
    expect(failed.termination).toBe("error");
    expect(failed.error?.message).toMatch(/^summariser: /);
    await server.close();
    server = await startScriptedOpenAIServer({
      script: [
        {
          content: '<tool_call>{"name": "search", "arguments": {"query": ["Ed Wood"]}}</tool_call>',
          usage: { prompt_tokens: 900, completion_tokens: 20 },
        },
        { content: "<answer>American</answer>" },
      ],
    });
    const capped = await runAgent({
      question: "q",
      protocol: "react",
      model: model(),
      tools: [search()],
      context: { strategy: "summarize", thresholdTokens: 600, maxSummaries: 0 },
    });
    expect(capped.segments).toBeUndefined();
    expect(capped.prediction).toBe("American");
  });
});

describe("failures and limits", () => {
  it("ends with termination error when the provider keeps failing", async () => {
    server = await startScriptedOpenAIServer({ fallback: { status: 500 } });
    const trajectory = await runAgent({ question: "q", protocol: "react", model: model(), tools: [search()] });
    expect(trajectory.termination).toBe("error");
    expect(trajectory.error?.code).toBe("provider");
    expect(server.requests).toHaveLength(2);
  });

  it("ends with cancelled when the signal aborts, and with wall clock limit when time runs out", async () => {
    server = await startScriptedOpenAIServer({ fallback: { content: "<answer>x</answer>", delayMs: 3_000 } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const cancelled = await runAgent({
      question: "q",
      protocol: "react",
      model: model(),
      tools: [],
      signal: controller.signal,
    });
    expect(cancelled.termination).toBe("cancelled");
    const slow = await runAgent({
      question: "q",
      protocol: "react",
      model: model(),
      tools: [],
      limits: { maxWallClockMs: 50 },
    });
    expect(slow.termination).toBe("wall clock limit");
  });

  it("stops on the cost budget", async () => {
    server = await startScriptedOpenAIServer({
      fallback: {
        content: '<tool_call>{"name": "search", "arguments": {"query": ["x"]}}</tool_call>',
        usage: { prompt_tokens: 1000, completion_tokens: 0 },
      },
    });
    const trajectory = await runAgent({
      question: "q",
      protocol: "react",
      model: model({ price: { inputPerMillion: 1000, outputPerMillion: 0 } }),
      tools: [search()],
      limits: { maxCostUsd: 2.5 },
    });
    expect(trajectory.termination).toBe("budget exceeded");
    expect(trajectory.turns).toHaveLength(3);
    expect(trajectory.usage.costUsd).toBeCloseTo(3);
    expect(trajectory.usage.llmCalls).toBe(3);
  });
});
