/**
 * Format checks per protocol: the Search-R1 tag grammar (`is_valid_sequence` of Search-R1 v0.3
 * `qa_em_format.py`), the Tongyi / WebDancer ReAct format (balanced tags, every tool call valid JSON, an
 * answer present) and native function calling.
 */
import JSON5 from "json5";
import { taggedBlocks } from "../core/tagged-blocks.js";
import type { Trajectory } from "../core/trajectory.js";

export interface FormatCheck {
  valid: boolean;
  /** Why it is invalid (empty when valid). */
  reason: string;
}

const ok: FormatCheck = { valid: true, reason: "" };
const fail = (reason: string): FormatCheck => ({ valid: false, reason });

function countOf(text: string, literal: string): number {
  let count = 0;
  let index = text.indexOf(literal);
  while (index !== -1) {
    count += 1;
    index = text.indexOf(literal, index + literal.length);
  }
  return count;
}

export interface SearchR1FormatOptions {
  /**
   * Require the Qwen `<|im_start|>assistant` marker and check only the text after it, as upstream does
   * (true for decoded prompt+response text; false when `text` is already the response).
   */
  requireAssistantMarker?: boolean;
}

/**
 * Search-R1 `is_valid_sequence`: balanced think/search/information/answer tags, the sequence
 * `think → (search → information → think)* → answer`, and only whitespace between tags.
 */
export function checkSearchR1Format(text: string, options: SearchR1FormatOptions = {}): FormatCheck {
  let content = text;
  if (options.requireAssistantMarker) {
    const marker = /<\|im_start\|>assistant\s*/.exec(text);
    if (!marker) return fail("missing <|im_start|>assistant marker");
    content = text.slice(marker.index + marker[0].length);
  }
  for (const tag of ["think", "search", "information", "answer"]) {
    const open = countOf(content, `<${tag}>`);
    const close = countOf(content, `</${tag}>`);
    if (open !== close) return fail(`unbalanced <${tag}> tags (${open} open, ${close} close)`);
  }
  const parts = content.split(/(<\/?(?:think|search|information|answer)>)/);
  let state = "start";
  const transitions: Record<string, Record<string, string>> = {
    "<think>": { start: "in_think", information: "in_think" },
    "</think>": { in_think: "after_think" },
    "<search>": { after_think: "in_search" },
    "</search>": { in_search: "after_search" },
    "<information>": { after_search: "in_information" },
    "</information>": { in_information: "information" },
    "<answer>": { after_think: "in_answer" },
    "</answer>": { in_answer: "end" },
  };
  for (const part of parts) {
    if (part.trim() === "") continue;
    const table = transitions[part];
    if (table) {
      const next = table[state];
      if (!next) return fail(`unexpected tag ${part} in state ${state}`);
      state = next;
    } else if (!["in_think", "in_search", "in_information", "in_answer"].includes(state)) {
      return fail(`unexpected content outside tags in state ${state}`);
    }
  }
  if (state !== "end") return fail(`incomplete sequence: ended in state ${state}`);
  return ok;
}

/** Parse a `<tool_call>` body like Tongyi does (JSON5) and require `name` and `arguments`. */
export function isValidToolCallJson(body: string): boolean {
  try {
    const value = JSON5.parse(body.trim()) as unknown;
    return (
      typeof value === "object" &&
      value !== null &&
      typeof (value as { name?: unknown }).name === "string" &&
      "arguments" in (value as object)
    );
  } catch {
    return false;
  }
}

/**
 * Tongyi / WebDancer ReAct format of the assistant turns: balanced `<think>`, `<tool_call>`, `<answer>`
 * tags in every turn, every `<tool_call>` body valid JSON with `name` and `arguments`, at most one tool call
 * per turn, and an `<answer>` in the final turn (only there).
 */
export function checkReactFormat(assistantTexts: readonly string[]): FormatCheck {
  if (assistantTexts.length === 0) return fail("no assistant turns");
  for (const [index, text] of assistantTexts.entries()) {
    for (const tag of ["think", "tool_call", "answer"]) {
      const open = countOf(text, `<${tag}>`);
      const close = countOf(text, `</${tag}>`);
      if (open !== close) return fail(`turn ${index}: unbalanced <${tag}> tags`);
    }
    const calls = taggedBlocks(text, "<tool_call>", "</tool_call>");
    if (calls.length > 1) return fail(`turn ${index}: more than one <tool_call>`);
    for (const call of calls) if (!isValidToolCallJson(call)) return fail(`turn ${index}: tool call is not valid JSON`);
    const isLast = index === assistantTexts.length - 1;
    const hasAnswer = text.includes("<answer>");
    if (hasAnswer && !isLast) return fail(`turn ${index}: <answer> before the final turn`);
    if (isLast && !hasAnswer) return fail("the final turn has no <answer>");
    if (hasAnswer && calls.length > 0) return fail(`turn ${index}: both a tool call and an answer`);
  }
  return ok;
}

/** The response text of a trajectory as one string: each turn's text followed by its observation. */
export function responseText(trajectory: Trajectory): string {
  if (trajectory.turns.length > 0) {
    return trajectory.turns.map((turn) => `${turn.text}${turn.observation ?? ""}`).join("");
  }
  return trajectory.messages
    .filter((message) => message.role !== "system")
    .slice(1)
    .map((message) => message.content)
    .join("");
}

/** Format check of a trajectory under its protocol. */
export function checkTrajectoryFormat(trajectory: Trajectory): FormatCheck {
  const protocol = trajectory.protocol.toLowerCase();
  if (protocol.includes("search-r1") || protocol.includes("searchr1") || protocol === "tags") {
    return checkSearchR1Format(responseText(trajectory));
  }
  if (protocol === "tools" || protocol.includes("native") || protocol.includes("function")) {
    // Native function calling: every call parsed to an object, the episode ended with an answer.
    for (const turn of trajectory.turns) {
      for (const call of turn.toolCalls) {
        if (call.arguments === undefined || call.arguments === null || typeof call.arguments !== "object")
          return fail(`turn ${turn.index}: tool call ${call.name} has unparsable arguments`);
      }
      if (turn.action === "invalid") return fail(`turn ${turn.index}: invalid action`);
    }
    return trajectory.prediction === null ? fail("no answer") : ok;
  }
  const texts = trajectory.turns.length
    ? trajectory.turns.map((turn) => turn.text)
    : trajectory.messages.filter((message) => message.role === "assistant").map((message) => message.content);
  return checkReactFormat(texts);
}
