/** Calling a chat model for a JSON object: fenced or embedded JSON is tolerated, usage is charged to a tracker. */
import type { z } from "zod";
import type { UsageTracker } from "../core/budget.js";
import type { ChatMessage } from "../core/trajectory.js";
import type { ChatModel } from "../llm/chat-model.js";

/** The JSON object in a model reply: the whole text, a ```json fence, or the span from the first `{` to the last `}`. */
export function extractJsonObject(text: string): unknown {
  const candidates = [text.trim()];
  const fence = /```(?:json)?\s*([\s\S]*?)```/.exec(text);
  if (fence?.[1]) candidates.push(fence[1].trim());
  const first = text.indexOf("{");
  const last = text.lastIndexOf("}");
  if (first >= 0 && last > first) candidates.push(text.slice(first, last + 1));
  for (const candidate of candidates) {
    try {
      return JSON.parse(candidate);
    } catch {
      // try the next candidate
    }
  }
  return undefined;
}

export type JsonCallResult<T> = { ok: true; value: T; raw: string } | { ok: false; reason: string; raw: string };

/** One chat call asking for JSON, validated with `schema`; one retry with the parse error when it does not fit. */
export async function completeJson<T>(
  model: ChatModel,
  messages: ChatMessage[],
  schema: z.ZodType<T>,
  options: { tracker?: UsageTracker; temperature?: number; seed?: number; signal?: AbortSignal; retries?: number } = {},
): Promise<JsonCallResult<T>> {
  const conversation = [...messages];
  let raw = "";
  let reason = "no reply";
  for (let attempt = 0; attempt <= (options.retries ?? 1); attempt++) {
    options.tracker?.check();
    const response = await model.complete(
      {
        messages: conversation,
        responseFormat: "json",
        ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
      },
      options.signal,
    );
    options.tracker?.chargeResponse(response);
    raw = response.text;
    const parsed = schema.safeParse(extractJsonObject(raw));
    if (parsed.success) return { ok: true, value: parsed.data, raw };
    reason =
      `the reply is not the requested JSON: ${parsed.error.issues[0]?.path.join(".") ?? ""} ${parsed.error.issues[0]?.message ?? ""}`.trim();
    conversation.push({ role: "assistant", content: raw });
    conversation.push({ role: "user", content: `${reason}. Reply with the JSON object only.` });
  }
  return { ok: false, reason, raw };
}
