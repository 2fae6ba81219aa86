/**
 * The chat-template golden cases: conversations built with drkit's own protocol code (initial messages,
 * parsed turns, observation messages), written to cases.json. `generate.py` renders them with Hugging Face
 * transformers and writes goldens.json; chat-templates.test.ts checks drkit's renderer against it.
 * Regenerate both with `npx tsx test/golden/chat-templates/cases.ts && python3 test/golden/chat-templates/generate.py`.
 */
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createNativeToolsProtocol } from "../../../src/agent/protocols/native-tools.js";
import type { Protocol, ProtocolContext } from "../../../src/agent/protocols/protocol.js";
import { createReactProtocol } from "../../../src/agent/protocols/react.js";
import { searchR1Protocol } from "../../../src/agent/protocols/search-r1.js";
import type { ChatMessage, ToolCall } from "../../../src/core/trajectory.js";
import type { ToolDefinition } from "../../../src/llm/chat-model.js";
import { functionTools } from "../../../src/llm/chat-model.js";
import { templateMessage } from "../../../src/llm/tokenizer/jinja-chat-template.js";

export type TemplateName = "qwen3" | "llama3";

export interface GoldenCall {
  /** Messages before this model call (the prompt is them with the generation prompt). */
  messageCount: number;
  /** Text the model samples in this call, and whether it ends with the eos token (else a stop string ended it). */
  sampledText: string;
  eos: boolean;
}

export interface GoldenCase {
  id: string;
  template: TemplateName;
  protocol: "none" | "search-r1" | "react" | "tools";
  tools: ToolDefinition[] | null;
  /** drkit messages (the test renders these). */
  messages: ChatMessage[];
  /** The same messages as transformers takes them (generate.py renders these). */
  templateMessages: Record<string, unknown>[];
  templateTools: Record<string, unknown>[] | null;
  calls: GoldenCall[];
}

export const TOOLS: ToolDefinition[] = [
  {
    name: "search",
    description: "Search the corpus; returns the top passages.",
    parameters: {
      type: "object",
      properties: { query: { type: "string", description: "What to look for" } },
      required: ["query"],
    },
  },
  {
    name: "visit",
    description: "Read a web page with a goal in mind.",
    parameters: {
      type: "object",
      properties: { url: { type: "string" }, goal: { type: "string" } },
      required: ["url", "goal"],
    },
  },
];

const QUESTION = "Were Scott Derrickson and Ed Wood of the same nationality?";
const DOCS = [
  "Doc 1(Title: Ed Wood) Edward Davis Wood Jr. (1924 – 1978) was an American filmmaker, actor and author.",
  "Doc 1(Title: Scott Derrickson) Scott Derrickson (born 1966) is an American director, screenwriter and producer.",
];
const QUERIES = ["Ed Wood nationality", "Scott Derrickson nationality"];

function context(): ProtocolContext {
  return { question: QUESTION, tools: [], toolDefinitions: TOOLS, currentDate: "2026-12-05" };
}

interface Step {
  sampled: string;
  eos: boolean;
  /** The response the protocol parses (text without tool-call markup for native tools). */
  responseText: string;
  toolCalls: ToolCall[];
  /** The assistant message as the template should render it back. */
  assistant: ChatMessage;
}

function think(template: TemplateName, text: string): string {
  return template === "qwen3" ? `<think>\n${text}\n</think>\n\n` : "";
}

function steps(template: TemplateName, protocol: GoldenCase["protocol"]): Step[] {
  const out: Step[] = [];
  QUERIES.forEach((query, index) => {
    const reasoning = think(template, `I should look up ${query.split(" ")[0]} first.`);
    const call: ToolCall = { id: `call_${index}`, name: "search", arguments: { query } };
    if (protocol === "search-r1") {
      const sampled = `${reasoning}<search> ${query} </search>`;
      out.push({
        sampled,
        eos: false,
        responseText: sampled,
        toolCalls: [],
        assistant: { role: "assistant", content: sampled },
      });
    } else if (protocol === "react") {
      const sampled = `${reasoning}<tool_call>\n${JSON.stringify({ name: "search", arguments: { query } }).replace(/":/g, '": ').replace(/,"/g, ', "')}\n</tool_call>`;
      out.push({
        sampled,
        eos: true,
        responseText: sampled,
        toolCalls: [],
        assistant: { role: "assistant", content: sampled },
      });
    } else if (template === "qwen3") {
      const sampled = `${reasoning}<tool_call>\n{"name": "search", "arguments": {"query": "${query}"}}\n</tool_call>`;
      out.push({
        sampled,
        eos: true,
        responseText: reasoning,
        toolCalls: [call],
        assistant: { role: "assistant", content: reasoning, toolCalls: [call] },
      });
    } else {
      const sampled = `{"name": "search", "parameters": {"query": "${query}"}}`;
      out.push({
        sampled,
        eos: true,
        responseText: "",
        toolCalls: [call],
        assistant: { role: "assistant", content: sampled, toolCalls: [call] },
      });
    }
  });
  const answer = `${think(template, "Both are American.")}<answer> yes </answer>`;
  out.push({
    sampled: answer,
    eos: protocol !== "search-r1",
    responseText: answer,
    toolCalls: [],
    assistant: { role: "assistant", content: answer },
  });
  return out;
}

function protocolCase(template: TemplateName, protocol: Protocol): GoldenCase {
  const ctx = context();
  const messages: ChatMessage[] = protocol.initialMessages(ctx);
  const calls: GoldenCall[] = [];
  const tools = protocol.name === "tools" ? TOOLS : null;
  for (const [index, step] of steps(template, protocol.name).entries()) {
    calls.push({ messageCount: messages.length, sampledText: step.sampled, eos: step.eos });
    messages.push(step.assistant);
    const parsed = protocol.parse(
      {
        text: step.responseText,
        toolCalls: step.toolCalls,
        finishReason: "stop",
        usage: { promptTokens: 0, completionTokens: 0 },
      },
      ctx,
      false,
    );
    if (parsed.action === "answer") break;
    parsed.calls.forEach((call, callIndex) => {
      if (protocol.name !== "tools") call.id = `call_${index}_${callIndex}`;
    });
    const results = parsed.calls.map((call) => ({ call, content: DOCS[index] as string, isError: false }));
    messages.push(...protocol.observationMessages(parsed, results).messages);
  }
  return finish({ id: `${template}-${protocol.name}`, template, protocol: protocol.name, tools, messages, calls });
}

function finish(partial: Omit<GoldenCase, "templateMessages" | "templateTools">): GoldenCase {
  return {
    ...partial,
    templateMessages: partial.messages.map(templateMessage),
    templateTools: partial.tools ? functionTools(partial.tools) : null,
  };
}

function singleTurn(template: TemplateName, withTools: boolean): GoldenCase {
  const messages: ChatMessage[] = [
    { role: "system", content: "You are a careful research assistant." },
    { role: "user", content: QUESTION },
  ];
  const answer = `${think(template, "Both are American.")}<answer> yes </answer>`;
  return finish({
    id: `${template}-single${withTools ? "-tools" : ""}`,
    template,
    protocol: "none",
    tools: withTools ? TOOLS : null,
    messages: [...messages, { role: "assistant", content: answer }],
    calls: [{ messageCount: 2, sampledText: answer, eos: true }],
  });
}

export function goldenCases(): GoldenCase[] {
  const cases: GoldenCase[] = [];
  for (const template of ["qwen3", "llama3"] as const) {
    cases.push(singleTurn(template, false), singleTurn(template, true));
    for (const protocol of [searchR1Protocol, createReactProtocol(), createNativeToolsProtocol()])
      cases.push(protocolCase(template, protocol));
  }
  return cases;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const path = join(dirname(fileURLToPath(import.meta.url)), "cases.json");
  writeFileSync(path, `${JSON.stringify(goldenCases(), null, 1)}\n`);
  console.log(`wrote ${path}`);
}
