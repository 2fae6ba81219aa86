/**
 * What the model sees of a long episode. `keep-last-k` (MiroThinker's rule): the tool results of all but the K most
 * recent tool turns are replaced by a short placeholder in the messages sent; the trajectory keeps every message in
 * full. The protocol wrapper of an observation (`<tool_response>`, `<information>`) is kept around the placeholder.
 * `summarize` (ReSum): past a context size, a summariser condenses the history and the episode restarts from the
 * question and the summary (src/agent/summarize-history.ts); each earlier segment is kept in `trajectory.segments`.
 */
import type { ChatMessage } from "../core/trajectory.js";

export interface KeepLastToolResults {
  strategy: "keep-last-k";
  /** Tool turns whose results stay in full (at least 1). */
  k: number;
}

export interface SummarizeHistory {
  strategy: "summarize";
  /** Context size in tokens past which the history is summarised (checked after each tool turn). */
  thresholdTokens: number;
  /** Most summaries in one episode (default 10); past it the forced answer at the context cap is the last resort. */
  maxSummaries?: number;
}

export type ContextStrategy = KeepLastToolResults | SummarizeHistory;

export const DEFAULT_MAX_SUMMARIES = 10;

export const OMITTED_TOOL_RESULT = "[earlier tool result omitted: only the most recent ones are kept]";

const WRAPPED = /^(\s*<(tool_response|information)>)[\s\S]*(<\/\2>\s*)$/;

function placeholder(content: string): string {
  const match = WRAPPED.exec(content);
  return match ? `${match[1]}\n${OMITTED_TOOL_RESULT}\n${match[3]}` : OMITTED_TOOL_RESULT;
}

/**
 * The messages to send: `observationTurns[i]` lists the message indexes of tool turn i's observation (in order of
 * turns). Messages of all but the last `k` tool turns get placeholders; others are passed as they are.
 */
export function visibleMessages(
  messages: readonly ChatMessage[],
  observationTurns: readonly (readonly number[])[],
  strategy: ContextStrategy | undefined,
): ChatMessage[] {
  if (strategy?.strategy !== "keep-last-k" || observationTurns.length <= strategy.k) return messages as ChatMessage[];
  const hidden = new Set(observationTurns.slice(0, observationTurns.length - Math.max(1, strategy.k)).flat());
  return messages.map((message, index) =>
    hidden.has(index) ? { ...message, content: placeholder(message.content) } : message,
  );
}
