/**
 * The `summarize` context strategy (ReSum, Alibaba-NLP/DeepResearch `WebAgent/WebResummer`): when the context passes
 * a threshold, a summariser call condenses the question, the previous summary and the segment's conversation into a
 * state, and the episode restarts from the question and that state. The summariser is any `ChatModel` (the agent's
 * own, or a separate one like the judge); on the token path without one, the policy itself summarises through its
 * chat template (`tokenPathChatModel`).
 */
import type { ChatMessage } from "../core/trajectory.js";
import type { ChatModel, ChatRequest, ChatResponse } from "../llm/chat-model.js";
import { truncateMiddle } from "./protocols/protocol.js";
import type { TokenPath } from "./token-session.js";

export const SUMMARY_SYSTEM_PROMPT =
  "You condense the working history of a research agent so that a fresh agent can continue the task. Read the question, " +
  "the earlier summary if there is one, and the conversation. Write the state the next agent needs: the facts established " +
  "so far with the sources they came from, what was searched or read without success, the open leads, and the next steps. " +
  "Keep names, numbers, dates and URLs exactly as found; do not guess beyond the evidence. Reply with the state inside " +
  "<summary></summary>.";

/** Longest conversation text sent to the summariser (the middle is cut past it). */
export const MAX_TRANSCRIPT_CHARS = 400_000;

/** The summariser request for one segment: `conversation` is the segment's messages after its opening prompt. */
export function summaryRequest(
  question: string,
  previousSummary: string | undefined,
  conversation: readonly ChatMessage[],
): ChatRequest {
  const transcript = conversation
    .map((message) => `[${message.role}]\n${message.reasoning ? `${message.reasoning}\n` : ""}${message.content}`)
    .join("\n\n");
  const parts = [
    `Question: ${question}`,
    ...(previousSummary ? [`Earlier summary:\n${previousSummary}`] : []),
    `Conversation:\n${truncateMiddle(transcript, MAX_TRANSCRIPT_CHARS)}`,
  ];
  return {
    messages: [
      { role: "system", content: SUMMARY_SYSTEM_PROMPT },
      { role: "user", content: parts.join("\n\n") },
    ],
  };
}

/** The summary in a reply: the `<summary>` block when there is one, else the text without `<think>` blocks. */
export function extractSummary(text: string): string {
  const withoutThinking = text.replace(/<think>[\s\S]*?<\/think>/g, "").replace(/^[\s\S]*<\/think>/, "");
  const block = /<summary>([\s\S]*?)(?:<\/summary>|$)/.exec(withoutThinking);
  return (block ? (block[1] as string) : withoutThinking).trim();
}

/** The question a resumed segment starts from: the original question and the state so far. */
export function resumedQuestion(question: string, summary: string): string {
  return `${question}\n\nYou have already worked on this question. The state of your research so far:\n<summary>\n${summary}\n</summary>\nContinue from this state; do not repeat searches that the summary says failed.`;
}

/** A chat model over a token path (the policy summarises itself): render, sample, decode. */
export function tokenPathChatModel(path: TokenPath, maxTokens = 2048): ChatModel {
  return {
    name: path.sampler.name,
    async complete(request: ChatRequest, signal?: AbortSignal): Promise<ChatResponse> {
      const promptIds = path.template.promptIds(request.messages);
      const sample = await path.sampler.sample(
        {
          promptIds,
          maxTokens: request.maxTokens ?? maxTokens,
          ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
          ...(path.template.stopTokenIds.length > 0 ? { stopTokenIds: path.template.stopTokenIds } : {}),
        },
        signal,
      );
      return {
        text: path.template.decode(sample.tokenIds),
        toolCalls: [],
        finishReason: sample.finishReason,
        usage: { promptTokens: promptIds.length, completionTokens: sample.tokenIds.length },
      };
    },
  };
}
