/**
 * The LLM rewriter: the same levels as the rule obfuscator, written fluently by a chat model that sees the chain
 * and each entity's evidence passage. The model returns `{question, answer, descriptions:[{entity, description}]}`;
 * the answer must come back unchanged (checked again in stage 3). A rewrite that fails the readability gate or leaks
 * (the answer, a hidden name, or an answer word the source question did not have) is not used: the rule obfuscator's
 * output replaces it (when a fallback is given, else the level is not produced) and the record says why — the same
 * gate and leak check run again on every item in stage 3.
 */
import { z } from "zod";
import type { UsageTracker } from "../core/budget.js";
import type { ChatModel } from "../llm/chat-model.js";
import { completeJson } from "./llm-json.js";
import {
  itemId,
  normalizeQuestion,
  type ObfuscationContext,
  type ObfuscationResult,
  type Obfuscator,
} from "./obfuscate.js";
import { readabilityFailures } from "./readability.js";
import { findMention, namedSpans } from "./text.js";
import type { Chain, Level, ObfuscatedItem, Replacement } from "./types.js";
import { leakageCheck } from "./verify.js";

const ReplySchema = z.object({
  question: z.string().min(5),
  answer: z.string(),
  descriptions: z.array(z.object({ entity: z.string(), description: z.string() })).default([]),
});

const LEVEL_RULES: Record<Level, string> = {
  1: "Level 1: keep the question as it is; only fix grammar, spacing and punctuation. Do not change any entity.",
  2: "Level 2: replace every listed entity that the question names by a description drawn only from that entity's own evidence passage, precise enough to pick out exactly that entity. Keep the rest of the question.",
  3: 'Level 3: obfuscate every named entity in the question (listed entities by descriptions from their passages; a person without a passage by their initials, "someone with the initials C. A."; never hint with a first letter) and make values vague: exact dates become periods ("in the early 1990s"), quantities become ranges ("between 3,000 and 4,000"); numbers inside names, titles, ranks and ids stay. The question must stay answerable by following the chain and read as one natural English question.',
};

export const OBFUSCATION_SYSTEM_PROMPT = `You rewrite multi-hop questions into harder research questions with the SAME answer.
Rules:
- Never write the answer, or any name you were asked to hide, anywhere in the question.
- Descriptions come only from the evidence passages given; do not invent facts.
- The rewritten question must have exactly one correct answer: the given answer.
Reply with a JSON object only: {"question": "...", "answer": "<the given answer, unchanged>", "descriptions": [{"entity": "<name>", "description": "<the phrase that replaced it>"}]}`;

export function obfuscationPrompt(chain: Chain, level: Level): string {
  const question = normalizeQuestion(chain.question);
  const entities = chain.entities
    .filter((entity) => entity.role !== "answer")
    .map((entity) => {
      const passage = chain.passages[entity.passageId];
      return `- ${entity.name} (${entity.role}${findMention(question, entity.name) ? ", named in the question" : ""}): ${passage?.text ?? ""}`;
    });
  const hops = chain.hops.map(
    (hop) => `${hop.index + 1}. ${hop.entity} → ${hop.yields}${hop.question ? ` (${hop.question})` : ""}`,
  );
  return [
    `Question: ${question}`,
    `Answer: ${chain.answer}`,
    `Reasoning chain:\n${hops.join("\n")}`,
    `Entities and their evidence passages:\n${entities.join("\n")}`,
    LEVEL_RULES[level],
  ].join("\n\n");
}

export interface LlmObfuscatorOptions {
  model: ChatModel;
  tracker?: UsageTracker;
  /** Used when the model's reply is unusable; its result is recorded with obfuscator `llm→rule`. */
  fallback?: Obfuscator;
  temperature?: number;
  seed?: number;
}

export class LlmObfuscator implements Obfuscator {
  readonly name: string;

  constructor(private readonly options: LlmObfuscatorOptions) {
    this.name = `llm:${options.model.name}`;
  }

  async obfuscate(chain: Chain, level: Level, context: ObfuscationContext = {}): Promise<ObfuscationResult> {
    const reply = await completeJson(
      this.options.model,
      [
        { role: "system", content: OBFUSCATION_SYSTEM_PROMPT },
        { role: "user", content: obfuscationPrompt(chain, level) },
      ],
      ReplySchema,
      {
        tracker: this.options.tracker,
        temperature: this.options.temperature ?? 0.3,
        seed: this.options.seed,
        signal: context.signal,
      },
    );
    if (!reply.ok) return this.fallback(chain, level, context, reply.reason);
    const base = normalizeQuestion(chain.question);
    const replacements: Replacement[] = reply.value.descriptions.map((entry) => {
      const entity = chain.entities.find((candidate) => candidate.name.toLowerCase() === entry.entity.toLowerCase());
      return {
        original: entity?.mention ?? entry.entity,
        replacement: entry.description,
        kind: "entity-description",
        passageId: entity?.passageId ?? null,
        entity: entity?.name ?? entry.entity,
      };
    });
    const named = chain.entities.filter((entity) => entity.role !== "answer" && findMention(base, entity.name));
    const hidden =
      level === 1
        ? []
        : level === 2
          ? named.map((entity) => entity.name)
          : [
              ...new Set([
                ...named.map((entity) => entity.name),
                ...namedSpans(base).filter((span) => span.length > 3),
              ]),
            ];
    const question = normalizeQuestion(reply.value.question);
    const unreadable = readabilityFailures(question);
    if (unreadable.length > 0)
      return this.fallback(chain, level, context, `unreadable rewrite: ${unreadable.join(", ")}`);
    const leak = leakageCheck(question, [chain.answer, ...chain.aliases], hidden, chain.question);
    if (!leak.passed) {
      const detail = leak.detail as { leaked_answers: string[]; leaked_names: string[]; leaked_words: string[] };
      const leaked = [...detail.leaked_answers, ...detail.leaked_names, ...detail.leaked_words];
      return this.fallback(chain, level, context, `leaking rewrite: ${leaked.join(", ")}`);
    }
    return {
      ok: true,
      item: {
        id: itemId(chain.sourceId, level),
        sourceId: chain.sourceId,
        level,
        question,
        answer: reply.value.answer,
        obfuscator: this.name,
        replacements,
        hiddenNames: hidden,
      },
    };
  }

  private async fallback(
    chain: Chain,
    level: Level,
    context: ObfuscationContext,
    reason: string,
  ): Promise<ObfuscationResult> {
    if (!this.options.fallback) return { ok: false, reason: `model reply unusable: ${reason}` };
    const result = await this.options.fallback.obfuscate(chain, level, context);
    if (!result.ok) return result;
    const label = (item: ObfuscatedItem) => ({ ...item, obfuscator: `${this.name}→${item.obfuscator} (${reason})` });
    return {
      ok: true,
      item: label(result.item),
      ...(result.alternatives ? { alternatives: result.alternatives.map(label) } : {}),
    };
  }
}
