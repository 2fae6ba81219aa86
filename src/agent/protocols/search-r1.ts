/**
 * The Search-R1 tag protocol (agent-formats.md §1): one user prompt; the model writes `<think>`, then either
 * `<search>query</search>` (answered with `\n\n<information>{docs}</information>\n\n`) or `<answer>…</answer>`.
 * Output is cut after the first `</search>` (else `</answer>`); the first `<(search|answer)>…</\1>` decides the
 * action; anything else gets the invalid-action feedback. Prompt and feedback wording are ours.
 */

import { firstTaggedBlock } from "../../core/tagged-blocks.js";
import type { ChatMessage } from "../../core/trajectory.js";
import { wrapReasoning } from "../../llm/reasoning.js";
import {
  extractTaggedAnswer,
  FORCED_ANSWER_INSTRUCTION,
  type ParsedTurn,
  type Protocol,
  type ProtocolContext,
} from "./protocol.js";

export function searchR1Prompt(question: string): string {
  return (
    "Answer the question below. Think inside <think> and </think> first, and again every time you receive new " +
    "information. If you lack some knowledge, you may query a search engine by writing <search> your query " +
    "</search>; the top results will be returned between <information> and </information>. You may search as many " +
    "times as you need. When you need no more information, write the final answer between <answer> and </answer>, " +
    `with no explanation, for example <answer> Beijing </answer>. Question: ${question}\n`
  );
}

/** Feedback for a turn without a valid action (our wording; leading and trailing newline as in the reference). */
export const SEARCH_R1_INVALID_FEEDBACK =
  "\nThat action could not be understood. To search, put a query between <search> and </search>. To finish, put the final answer between <answer> and </answer>. Please try again.\n";

/** Cut after the first `</search>`, else after the first `</answer>` (Search-R1 postprocessing). */
export function cutSearchR1(text: string): string {
  const search = text.indexOf("</search>");
  if (search !== -1) return text.slice(0, search + "</search>".length);
  const answer = text.indexOf("</answer>");
  if (answer !== -1) return text.slice(0, answer + "</answer>".length);
  return text;
}

/** A stop string swallowed by the server: re-close an open `<search>` / `<answer>` at the end. */
function restoreStop(text: string, finishReason: string): string {
  if (finishReason !== "stop") return text;
  for (const tag of ["search", "answer"]) {
    const open = text.lastIndexOf(`<${tag}>`);
    if (open !== -1 && text.indexOf(`</${tag}>`, open) === -1) return `${text}</${tag}>`;
  }
  return text;
}

export const searchR1Protocol: Protocol = {
  name: "search-r1",
  maxCallsPerTurn: 1,
  forcedAnswerInstruction: FORCED_ANSWER_INSTRUCTION,

  initialMessages(context: ProtocolContext): ChatMessage[] {
    const content = context.systemPrompt
      ? `${context.systemPrompt.replace(/\{question\}/g, context.question)}`
      : searchR1Prompt(context.question);
    return [{ role: "user", content }];
  },

  requestFields() {
    return { stop: ["</search>", "</answer>"] };
  },

  parse(response, context, final): ParsedTurn {
    const full = restoreStop(wrapReasoning(response.text, response.reasoning), response.finishReason);
    const text = cutSearchR1(full);
    const cut = text.length !== full.length || full !== wrapReasoning(response.text, response.reasoning);
    const block = firstTaggedBlock(text, ["search", "answer"]);
    if (block?.tag === "answer") return { text, cut, action: "answer", calls: [], answer: block.content.trim() };
    if (block?.tag === "search" && !final) {
      const query = block.content.trim();
      return {
        text,
        cut,
        action: "tool",
        calls: [{ id: "", name: "search", arguments: { query: [query] }, raw: query }],
      };
    }
    return { text, cut, action: "invalid", calls: [], feedback: context.invalidFeedback ?? SEARCH_R1_INVALID_FEEDBACK };
  },

  assistantMessage(parsed, response) {
    return {
      role: "assistant",
      content: parsed.text,
      ...(response.reasoning ? { reasoning: response.reasoning } : {}),
    };
  },

  observationMessages(parsed, results) {
    const observation =
      parsed.action === "invalid"
        ? (parsed.feedback ?? SEARCH_R1_INVALID_FEEDBACK)
        : `\n\n<information>${results
            .map((result) => result.content)
            .join("\n")
            .trim()}</information>\n\n`;
    return { messages: [{ role: "user", content: observation }], observation };
  },

  extractAnswer: extractTaggedAnswer,
};
