/**
 * The Tongyi / WebDancer ReAct protocol (agent-formats.md §2): a system prompt with a `<tools>` block, the
 * question as the user message, assistant turns with `<think>` and `<tool_call>{"name", "arguments"}</tool_call>`
 * (parsed as JSON5) or `<answer>…</answer>`, and tool output returned as a **user** message
 * `<tool_response>\n…\n</tool_response>`. Stop strings `\n<tool_response>` / `<tool_response>`; output is cut
 * at `<tool_response>` if the model wrote one anyway. Prompt wording is ours.
 */
import JSON5 from "json5";
import { taggedBlocks } from "../../core/tagged-blocks.js";
import type { ChatMessage, ToolCall } from "../../core/trajectory.js";
import { functionTools } from "../../llm/chat-model.js";
import { wrapReasoning } from "../../llm/reasoning.js";
import {
  extractTaggedAnswer,
  FORCED_ANSWER_INSTRUCTION,
  type ParsedTurn,
  type Protocol,
  type ProtocolContext,
} from "./protocol.js";

export function reactSystemPrompt(context: ProtocolContext): string {
  const tools = functionTools(context.toolDefinitions)
    .map((tool) => JSON.stringify(tool))
    .join("\n");
  const role =
    context.systemPrompt ??
    "You are a careful research assistant. Investigate the user's question step by step with the tools below, check facts across sources, and when you are confident give a short final answer wrapped in <answer></answer> tags.";
  return [
    role,
    "",
    "# Tools",
    "",
    "You may call one or more functions to help with the question.",
    "",
    "The function signatures are listed inside <tools></tools>:",
    "<tools>",
    tools,
    "</tools>",
    "",
    "To call a function, think first inside <think></think>, then write a JSON object with the function name and its arguments inside <tool_call></tool_call> tags:",
    "<tool_call>",
    '{"name": <function-name>, "arguments": <args-json-object>}',
    "</tool_call>",
    "The result will come back inside <tool_response></tool_response>.",
    "",
    `Current date: ${context.currentDate}`,
  ].join("\n");
}

export const REACT_NO_ACTION_FEEDBACK =
  'Your reply contained neither a tool call nor a final answer. Call a tool with <tool_call>{"name": ..., "arguments": ...}</tool_call>, or give the final answer inside <answer></answer>.';
export const REACT_BAD_JSON_FEEDBACK =
  'Error: the tool call is not valid JSON. Write it as {"name": "<tool name>", "arguments": {...}} inside <tool_call></tool_call>.';
export const REACT_UNCLOSED_FEEDBACK =
  "Error: the tool call was not closed. End every call with </tool_call> and write nothing after it.";

/** Parse the JSON5 body of one `<tool_call>`. */
export function parseToolCallBody(
  body: string,
  index: number,
  toolNames: ReadonlySet<string>,
): ToolCall & { error?: string } {
  const id = `call_${index}`;
  let value: unknown;
  try {
    value = JSON.parse(body); // fast path; JSON5 accepts the looser forms models write
  } catch {
    try {
      value = JSON5.parse(body.trim());
    } catch {
      return { id, name: "", arguments: undefined, raw: body, error: REACT_BAD_JSON_FEEDBACK };
    }
  }
  if (!value || typeof value !== "object" || Array.isArray(value))
    return { id, name: "", arguments: undefined, raw: body, error: REACT_BAD_JSON_FEEDBACK };
  const record = value as { name?: unknown; arguments?: unknown; parameters?: unknown };
  const name = typeof record.name === "string" ? record.name : "";
  let args = record.arguments ?? record.parameters ?? {};
  if (typeof args === "string") {
    try {
      args = JSON5.parse(args as string);
    } catch {
      return { id, name, arguments: undefined, raw: body, error: REACT_BAD_JSON_FEEDBACK };
    }
  }
  if (!name) return { id, name, arguments: args, raw: body, error: REACT_BAD_JSON_FEEDBACK };
  if (!toolNames.has(name))
    return {
      id,
      name,
      arguments: args,
      raw: body,
      error: `Error: tool "${name}" was not found. Available tools: ${[...toolNames].join(", ")}.`,
    };
  return { id, name, arguments: args, raw: body };
}

/** The turn text kept: cut at a `<tool_response>` the model wrote itself. */
export function cutReact(text: string): string {
  const at = text.indexOf("<tool_response>");
  return at === -1 ? text : text.slice(0, at).replace(/\s+$/, "");
}

const toolNameSets = new WeakMap<ProtocolContext, ReadonlySet<string>>();

/** The tool names of a context, built once per run rather than once per turn. */
function toolNamesOf(context: ProtocolContext): ReadonlySet<string> {
  let names = toolNameSets.get(context);
  if (!names || names.size !== context.tools.length) {
    names = new Set(context.tools.map((tool) => tool.name));
    toolNameSets.set(context, names);
  }
  return names;
}

export function createReactProtocol(options: { maxCallsPerTurn?: number } = {}): Protocol {
  const maxCallsPerTurn = options.maxCallsPerTurn ?? 1;
  return {
    name: "react",
    maxCallsPerTurn,
    forcedAnswerInstruction: FORCED_ANSWER_INSTRUCTION,

    initialMessages(context): ChatMessage[] {
      return [
        { role: "system", content: reactSystemPrompt(context) },
        { role: "user", content: context.question },
      ];
    },

    requestFields() {
      return { stop: ["\n<tool_response>", "<tool_response>"] };
    },

    parse(response, context, final): ParsedTurn {
      const full = wrapReasoning(response.text, response.reasoning);
      const text = cutReact(full).trim();
      const cut = text !== full;
      const answer = extractTaggedAnswer(text);
      if (answer !== undefined) return { text, cut, action: "answer", calls: [], answer };
      const noAction = context.invalidFeedback ?? REACT_NO_ACTION_FEEDBACK;
      if (final) return { text, cut, action: "invalid", calls: [], feedback: noAction };
      const names = toolNamesOf(context);
      const calls: ParsedTurn["calls"] = [];
      for (const body of taggedBlocks(text, "<tool_call>", "</tool_call>")) {
        const call = parseToolCallBody(body, calls.length, names);
        if (calls.length >= maxCallsPerTurn && !call.error)
          call.error = `Error: only ${maxCallsPerTurn} tool call(s) per turn are run; this one was skipped. Call it again in the next turn.`;
        calls.push(call);
      }
      if (calls.length === 0) {
        const unclosed = text.lastIndexOf("<tool_call>") !== -1;
        return {
          text,
          cut,
          action: "invalid",
          calls: [],
          feedback: unclosed ? REACT_UNCLOSED_FEEDBACK : noAction,
        };
      }
      return { text, cut, action: calls.every((call) => call.error) ? "invalid" : "tool", calls };
    },

    assistantMessage(parsed, response) {
      return {
        role: "assistant",
        content: parsed.text,
        ...(response.reasoning ? { reasoning: response.reasoning } : {}),
      };
    },

    observationMessages(parsed, results) {
      if (results.length === 0) {
        const feedback = parsed.feedback ?? REACT_NO_ACTION_FEEDBACK;
        const observation = parsed.calls.length > 0 ? `<tool_response>\n${feedback}\n</tool_response>` : feedback;
        return { messages: [{ role: "user", content: observation }], observation };
      }
      const observation = results.map((result) => `<tool_response>\n${result.content}\n</tool_response>`).join("\n");
      return { messages: [{ role: "user", content: observation }], observation };
    },

    extractAnswer: extractTaggedAnswer,
  };
}

export const reactProtocol = createReactProtocol();
