/**
 * The LLM uniqueness judge: given the obfuscated question, the answer and the chain's evidence passages, does
 * each description in the question pick out exactly one entity (the intended one) and does the question have
 * exactly one answer? Replies `{"unique": true|false, "reason": "..."}`. A failed call is recorded as
 * `passed: null` (never counted as passed).
 */
import { z } from "zod";
import type { UsageTracker } from "../core/budget.js";
import { describeError } from "../core/errors.js";
import type { ChatModel } from "../llm/chat-model.js";
import { completeJson } from "./llm-json.js";
import type { UniquenessJudge } from "./multihop.js";
import type { Chain, Check, ObfuscatedItem } from "./types.js";

const VerdictSchema = z.object({ unique: z.boolean(), reason: z.string().default("") });

export const UNIQUENESS_SYSTEM_PROMPT = `You audit synthesized research questions. Using only the evidence passages, decide whether every description in the question picks out exactly one entity (the intended one) and the question therefore has exactly one correct answer, the given answer.
Reply with a JSON object only: {"unique": true or false, "reason": "<one sentence>"}`;

export class LlmUniquenessJudge implements UniquenessJudge {
  readonly name: string;

  constructor(
    private readonly model: ChatModel,
    private readonly tracker?: UsageTracker,
  ) {
    this.name = `llm-judge:${model.name}`;
  }

  async check(item: ObfuscatedItem, chain: Chain, signal?: AbortSignal): Promise<Check> {
    const evidence = chain.evidenceIds.map((id, index) => {
      const passage = chain.passages[id];
      return `[${index + 1}] ${passage?.title ?? id}: ${passage?.text ?? ""}`;
    });
    const descriptions = item.replacements
      .filter((replacement) => replacement.kind === "entity-description" || replacement.kind === "name-hint")
      .map(
        (replacement) => `- "${replacement.replacement}" is meant to be ${replacement.entity ?? replacement.original}`,
      );
    const prompt = [
      `Question: ${item.question}`,
      `Answer: ${item.answer}`,
      `Descriptions:\n${descriptions.join("\n") || "(none)"}`,
      `Evidence passages:\n${evidence.join("\n")}`,
    ].join("\n\n");
    try {
      const reply = await completeJson(
        this.model,
        [
          { role: "system", content: UNIQUENESS_SYSTEM_PROMPT },
          { role: "user", content: prompt },
        ],
        VerdictSchema,
        { tracker: this.tracker, temperature: 0, signal },
      );
      if (!reply.ok) return { passed: null, method: this.name, detail: { error: reply.reason, raw: reply.raw } };
      return { passed: reply.value.unique, method: this.name, detail: { reason: reply.value.reason } };
    } catch (error) {
      return { passed: null, method: this.name, detail: { error: describeError(error) } };
    }
  }
}
