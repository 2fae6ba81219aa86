/** The protocol contract: how a question becomes messages, how a reply is parsed, how observations come back. */
import type { ChatMessage, ToolCall } from "../../core/trajectory.js";
import type { ChatRequest, ChatResponse, ToolDefinition } from "../../llm/chat-model.js";
import type { Tool } from "../../tools/tool.js";

export interface ProtocolContext {
  question: string;
  tools: Tool[];
  toolDefinitions: ToolDefinition[];
  currentDate: string;
  systemPrompt?: string;
  /** Feedback after a turn with no valid action, replacing the protocol's wording. */
  invalidFeedback?: string;
}

export interface ParsedTurn {
  /** The assistant text kept in the conversation (after protocol cutting). */
  text: string;
  /** True when the text was cut (the sampled token ids then no longer match the text). */
  cut: boolean;
  action: "tool" | "answer" | "invalid";
  /** Tool calls to run (arguments `undefined` = unparsable; `error` set = answer with this error, don't run). */
  calls: (ToolCall & { error?: string })[];
  answer?: string;
  /** Observation for an invalid action. */
  feedback?: string;
}

export interface ObservationResult {
  call: ToolCall;
  content: string;
  isError: boolean;
}

export interface Protocol {
  readonly name: "search-r1" | "react" | "tools";
  /** Most tool calls run from one turn (extra ones are answered with an error). */
  readonly maxCallsPerTurn: number;
  initialMessages(context: ProtocolContext): ChatMessage[];
  /** Request fields of this protocol (stop strings, native tools). `final`: the last, tool-less call. */
  requestFields(context: ProtocolContext, final: boolean): Partial<ChatRequest>;
  parse(response: ChatResponse, context: ProtocolContext, final: boolean): ParsedTurn;
  /** The assistant message recorded for a parsed turn. */
  assistantMessage(parsed: ParsedTurn, response: ChatResponse): ChatMessage;
  /** Messages carrying tool results (or invalid-action feedback) back to the model, and their text. */
  observationMessages(
    parsed: ParsedTurn,
    results: ObservationResult[],
  ): { messages: ChatMessage[]; observation: string };
  /** The instruction that replaces the last message when the context cap is reached. */
  readonly forcedAnswerInstruction: string;
  /** Final answer inside a text, if any. */
  extractAnswer(text: string): string | undefined;
}

/** Text between the first `<answer>` and the next `</answer>`, trimmed. */
export function extractTaggedAnswer(text: string): string | undefined {
  const open = text.indexOf("<answer>");
  if (open === -1) return undefined;
  const close = text.indexOf("</answer>", open + 8);
  if (close === -1) return undefined;
  return text.slice(open + 8, close).trim();
}

/** Shared wording of the forced-final-answer instruction (our wording of the Tongyi rule). */
export const FORCED_ANSWER_INSTRUCTION =
  "You have reached the maximum context length and cannot call any more tools. Based on everything gathered so far, give your most likely answer now, in the form <think>your final reasoning</think>\n<answer>your answer</answer>";

/** Cut a long observation in the middle, keeping its start and end. */
export function truncateMiddle(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const marker = `\n[… ${text.length - maxChars} characters cut …]\n`;
  const keep = Math.max(0, maxChars - marker.length);
  const head = Math.ceil(keep / 2);
  return text.slice(0, head) + marker + text.slice(text.length - (keep - head));
}
