/**
 * Native tool calls written as text, for the token path (the server's tool parser is not in the loop):
 * Hermes / Qwen `<tool_call>{"name", "arguments"}</tool_call>` blocks, or one bare JSON object
 * `{"name", "arguments" | "parameters"}` (Llama 3 style). As verl's hermes parser: the content is the text
 * without the call blocks; a block whose JSON does not parse is a call with `arguments: undefined`.
 */
import JSON5 from "json5";
import type { ToolCall } from "../core/trajectory.js";
import type { ToolCallFormat } from "./chat-template.js";

export interface ParsedToolCallText {
  content: string;
  toolCalls: ToolCall[];
}

function parseObject(body: string): Record<string, unknown> | undefined {
  for (const parse of [JSON.parse, JSON5.parse]) {
    try {
      const value = parse(body.trim()) as unknown;
      if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
      return undefined;
    } catch {
      // try the looser parser
    }
  }
  return undefined;
}

function callOf(body: string, index: number): ToolCall {
  const value = parseObject(body);
  const name = typeof value?.name === "string" ? value.name : "";
  let args = value?.arguments ?? value?.parameters;
  if (typeof args === "string") args = parseObject(args);
  return { id: `call_${index}`, name, arguments: value ? (args ?? {}) : undefined, raw: body.trim() };
}

export function parseToolCallText(text: string, format: ToolCallFormat): ParsedToolCallText {
  if (format === "hermes") {
    const toolCalls: ToolCall[] = [];
    const pattern = /<tool_call>([\s\S]*?)(?:<\/tool_call>|$)/g;
    for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
      toolCalls.push(callOf(match[1] ?? "", toolCalls.length));
    }
    const first = text.indexOf("<tool_call>");
    return { content: first === -1 ? text : text.slice(0, first).trimEnd(), toolCalls };
  }
  const think = text.lastIndexOf("</think>");
  const rest = think === -1 ? text : text.slice(think + "</think>".length);
  const trimmed = rest.trim();
  if (trimmed.startsWith("{") && trimmed.endsWith("}")) {
    const value = parseObject(trimmed);
    if (value && typeof value.name === "string")
      return { content: text.slice(0, text.length - rest.length).trimEnd(), toolCalls: [callOf(trimmed, 0)] };
  }
  return { content: text, toolCalls: [] };
}
