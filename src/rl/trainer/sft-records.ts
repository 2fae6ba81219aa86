/**
 * SFT data from `drkit collect export --format sft-chatml` as token-space trajectories for a model's chat template,
 * built by the same append-only rule as the agent's token path: the messages before the first trained assistant
 * message are the prompt; each trained assistant message is a model span (its text, native tool calls written in
 * the template's format, then the end-of-turn id); everything between is a continuation span (loss off).
 */
import { z } from "zod";
import { DataError } from "../../core/errors.js";
import type { ChatMessage, TokenSpan, Trajectory } from "../../core/trajectory.js";
import { readValidatedJsonl } from "../../data/tables.js";
import type { ChatTemplate } from "../../llm/chat-template.js";

const SftMessageSchema = z.object({
  role: z.enum(["system", "user", "assistant", "tool"]),
  content: z.string(),
  tool_calls: z
    .array(z.object({ id: z.string().optional(), function: z.object({ name: z.string(), arguments: z.unknown() }) }))
    .optional(),
  tool_call_id: z.string().optional(),
  name: z.string().optional(),
  loss: z.boolean().optional(),
});
const SftRecordSchema = z.object({
  id: z.string(),
  question: z.string().optional(),
  messages: z.array(SftMessageSchema).min(2),
});
export type SftRecord = z.infer<typeof SftRecordSchema>;

/** Read sft-chatml JSONL; a bad line fails with file:line. */
export function readSftRecords(path: string): SftRecord[] {
  const records = readValidatedJsonl(
    path,
    SftRecordSchema,
    "an sft-chatml record (drkit collect export --format sft-chatml)",
  ).map(({ value }) => value);
  if (records.length === 0) throw new DataError("no records", { file: path });
  return records;
}

function chatMessage(message: SftRecord["messages"][number]): ChatMessage {
  return {
    role: message.role,
    content: message.content,
    ...(message.tool_call_id ? { toolCallId: message.tool_call_id } : {}),
    ...(message.name ? { name: message.name } : {}),
  };
}

/** The text a model writes for an assistant message: content, then its tool calls in the template's format. */
function assistantText(message: SftRecord["messages"][number], template: ChatTemplate): string {
  const calls = (message.tool_calls ?? []).map((call) => {
    let args: unknown = call.function.arguments ?? {};
    if (typeof args === "string") {
      try {
        args = JSON.parse(args);
      } catch {
        // keep the raw text
      }
    }
    const body = JSON.stringify({ name: call.function.name, arguments: args })
      .replace(/":/g, '": ')
      .replace(/,"/g, ', "');
    return template.toolCallFormat === "hermes" ? `<tool_call>\n${body}\n</tool_call>` : body;
  });
  return [message.content, ...calls].filter((part) => part !== "").join("\n");
}

export function sftRecordTrajectory(record: SftRecord, template: ChatTemplate): Trajectory {
  const trained = (message: SftRecord["messages"][number]) => message.role === "assistant" && message.loss !== false;
  const first = record.messages.findIndex(trained);
  if (first <= 0) throw new DataError(`record ${record.id} has no trained assistant message after a prompt`);
  const promptIds = template.promptIds(record.messages.slice(0, first).map(chatMessage));
  const spans: TokenSpan[] = [];
  let lastSample: number[] = [];
  let pending: ChatMessage[] = [];
  let turn = 0;
  for (const message of record.messages.slice(first)) {
    if (!trained(message)) {
      pending.push(chatMessage(message));
      continue;
    }
    if (pending.length > 0) {
      spans.push({ source: "observation", turn: turn - 1, ids: template.continuationIds(pending, lastSample) });
      pending = [];
    }
    const eos = template.stopTokenIds[0];
    lastSample = [...template.encode(assistantText(message, template)), ...(eos !== undefined ? [eos] : [])];
    spans.push({ source: "model", turn, ids: lastSample });
    turn += 1;
  }
  const now = new Date().toISOString();
  return {
    version: 1,
    id: record.id,
    question: record.question ?? "",
    goldAnswers: [],
    protocol: "sft",
    sample: 0,
    messages: record.messages.map(chatMessage),
    turns: [],
    tokens: { tokenizer: template.name, promptIds, spans },
    usage: {
      promptTokens: promptIds.length,
      completionTokens: 0,
      totalTokens: 0,
      llmCalls: 0,
      toolCalls: 0,
      costUsd: 0,
    },
    timings: { startedAt: now, durationMs: 0 },
    termination: "answer",
    prediction: null,
    verdicts: [],
    metadata: { uid: record.id },
  };
}
