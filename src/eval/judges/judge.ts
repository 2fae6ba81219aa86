/**
 * LLM judges: a prompt builder, a tolerant parser, retries on unparsable output, and a verdict cache.
 * A judge never throws for a failed call: it returns `Verdict{status: "error", correct: null}` so the
 * failure is reported, not counted as right or wrong.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { type Config, resolveEndpoint } from "../../core/config.js";
import { describeError, InputError } from "../../core/errors.js";
import { JsonlWriter } from "../../core/jsonl-store.js";
import type { ChatMessage, Verdict } from "../../core/trajectory.js";
import type { ChatModel } from "../../llm/chat-model.js";
import { createChatModel } from "../../llm/from-config.js";
import type { AnswerJudge } from "../../reward/rewards.js";
import { cleanWord, confidenceOf, lineField, parseLooseObject, yesNo } from "./parse.js";
import {
  browseCompPrompt,
  equivalencePrompt,
  factualAuditorPrompt,
  type JudgeItem,
  simpleQaPrompt,
  xbenchPrompt,
} from "./prompts.js";

/** What a parser makes of the judge's reply; undefined = unparsable. */
export type ParsedVerdict = Omit<Verdict, "judge" | "status" | "error">;

export interface JudgeSpec {
  name: string;
  description: string;
  buildMessages(item: JudgeItem): ChatMessage[];
  parse(text: string): ParsedVerdict | undefined;
  responseFormat?: "json" | "text";
  maxTokens?: number;
}

/** GAIA / WebWalkerQA: "Correct" / "Incorrect"; upstream also accepts a reply starting with "a" (letter graders). */
export function parseEquivalence(text: string): ParsedVerdict | undefined {
  const cleaned = cleanWord(text);
  if (/\bincorrect\b/.test(cleaned)) return { correct: false };
  if (/\bcorrect\b/.test(cleaned)) return { correct: true };
  const word = cleaned.split(/\s+/)[0] ?? "";
  if (word === "a" || word === "a)" || word === "a.") return { correct: true };
  if (word === "b" || word === "b)" || word === "b.") return { correct: false };
  return undefined;
}

/** BrowseComp / HLE grader: JSON fields, or `correct: yes` on its own line. */
export function parseBrowseComp(text: string): ParsedVerdict | undefined {
  const object = parseLooseObject(text);
  let correct: boolean | undefined;
  let extracted: unknown;
  let reasoning: unknown;
  let confidence: unknown;
  if (object) {
    correct = yesNo(object.correct);
    extracted = object.extracted_final_answer;
    reasoning = object.reasoning;
    confidence = object.confidence;
  }
  if (correct === undefined) {
    const line = lineField(text, "correct");
    correct = line === undefined ? undefined : yesNo(line);
    extracted ??= lineField(text, "extracted_final_answer");
    reasoning ??= lineField(text, "reasoning");
    confidence ??= lineField(text, "confidence");
  }
  if (correct === undefined) return undefined;
  const confidenceValue = confidenceOf(confidence);
  return {
    correct,
    ...(typeof extracted === "string" ? { extractedAnswer: extracted } : {}),
    ...(typeof reasoning === "string" ? { reasoning } : {}),
    ...(confidenceValue !== undefined ? { confidence: confidenceValue } : {}),
  };
}

const GRADES: Record<string, string> = {
  a: "correct",
  b: "incorrect",
  c: "not_attempted",
  correct: "correct",
  incorrect: "incorrect",
  not_attempted: "not_attempted",
};

/** SimpleQA: the first standalone A/B/C (or CORRECT / INCORRECT / NOT_ATTEMPTED). */
export function parseSimpleQa(text: string): ParsedVerdict | undefined {
  const match = /\b(NOT_ATTEMPTED|INCORRECT|CORRECT|A|B|C)\b/i.exec(text.replace(/\*/g, ""));
  if (!match) return undefined;
  const token = (match[1] as string).toLowerCase();
  // A lone lower-case "a" is an article, not a grade.
  if (token.length === 1 && match[1] !== (match[1] as string).toUpperCase()) return undefined;
  const grade = GRADES[token];
  if (!grade) return undefined;
  return { correct: grade === "correct", grade };
}

/** xbench: JSON `结论` 正确 / 错误, or a `结论：…` line. */
export function parseXbench(text: string): ParsedVerdict | undefined {
  const object = parseLooseObject(text);
  const conclusion = (typeof object?.结论 === "string" ? object.结论 : undefined) ?? lineField(text, "结论");
  if (conclusion === undefined) return undefined;
  const correct = conclusion.includes("正确") ? true : conclusion.includes("错误") ? false : undefined;
  if (correct === undefined) return undefined;
  const extracted = object?.最终答案;
  return { correct, ...(typeof extracted === "string" ? { extractedAnswer: extracted } : {}) };
}

/** Strict factual auditor: `[[CORRECT]]` / `[[INCORRECT]]`. */
export function parseAuditor(text: string): ParsedVerdict | undefined {
  if (text.includes("[[CORRECT]]")) return { correct: true };
  if (text.includes("[[INCORRECT]]")) return { correct: false };
  return undefined;
}

export const JUDGE_SPECS: Record<string, JudgeSpec> = {
  equivalence: {
    name: "equivalence",
    description: "GAIA / WebWalkerQA style: is the prediction equivalent to the label (Correct / Incorrect)",
    buildMessages: equivalencePrompt,
    parse: parseEquivalence,
    maxTokens: 16,
  },
  browsecomp: {
    name: "browsecomp",
    description: "BrowseComp grader: extracted answer, reasoning, correct yes/no, confidence (JSON)",
    buildMessages: browseCompPrompt,
    parse: parseBrowseComp,
    responseFormat: "json",
    maxTokens: 1024,
  },
  hle: {
    name: "hle",
    description: "HLE judge: the BrowseComp contract; correct ∈ {y, yes, true, positive}",
    buildMessages: browseCompPrompt,
    parse: parseBrowseComp,
    responseFormat: "json",
    maxTokens: 1024,
  },
  simpleqa: {
    name: "simpleqa",
    description: "SimpleQA three-way grader: A correct / B incorrect / C not attempted",
    buildMessages: simpleQaPrompt,
    parse: parseSimpleQa,
    maxTokens: 16,
  },
  xbench: {
    name: "xbench",
    description: "xbench-DeepSearch grader (Chinese): 最终答案, 解释, 结论 正确/错误 (JSON)",
    buildMessages: xbenchPrompt,
    parse: parseXbench,
    responseFormat: "json",
    maxTokens: 1024,
  },
  "factual-auditor": {
    name: "factual-auditor",
    description: "DeepResearch-R1 strict factual auditor: [[CORRECT]] / [[INCORRECT]], no question, 500-char inputs",
    buildMessages: factualAuditorPrompt,
    parse: parseAuditor,
    maxTokens: 16,
  },
};

export const JUDGE_NAMES = Object.keys(JUDGE_SPECS);

/** A verdict cache keyed by a hash of judge, model and item. Only decided (`ok`) verdicts are stored. */
export interface VerdictCache {
  get(key: string): Verdict | undefined;
  set(key: string, verdict: Verdict): void;
}

/** Append-only JSONL verdict cache (`{key, verdict}` per line), safe to kill at any moment. */
export class JsonlVerdictCache implements VerdictCache {
  private readonly entries = new Map<string, Verdict>();
  private readonly writer: JsonlWriter;

  constructor(readonly path: string) {
    if (existsSync(path)) {
      for (const line of readFileSync(path, "utf8").split("\n")) {
        if (line.trim() === "") continue;
        try {
          const record = JSON.parse(line) as { key: string; verdict: Verdict };
          this.entries.set(record.key, record.verdict);
        } catch {
          // a torn last line: ignored (the writer repairs it before appending)
        }
      }
    }
    this.writer = new JsonlWriter(path, false);
  }

  get(key: string): Verdict | undefined {
    return this.entries.get(key);
  }

  set(key: string, verdict: Verdict): void {
    if (this.entries.has(key)) return;
    this.entries.set(key, verdict);
    this.writer.append({ key, verdict });
  }

  close(): void {
    this.writer.close();
  }
}

export interface JudgeOptions {
  cache?: VerdictCache;
  /** Extra attempts when the reply cannot be parsed or the call fails (HTTP retries happen in the client). Default 2. */
  retries?: number;
  temperature?: number;
}

export class LlmJudge implements AnswerJudge {
  readonly name: string;

  constructor(
    readonly spec: JudgeSpec,
    readonly model: ChatModel,
    private readonly options: JudgeOptions = {},
  ) {
    this.name = spec.name;
  }

  cacheKey(item: JudgeItem): string {
    return createHash("sha256")
      .update(
        JSON.stringify([
          this.spec.name,
          this.model.name,
          item.question,
          item.prediction,
          item.golds,
          item.response ?? null,
        ]),
      )
      .digest("hex");
  }

  async judge(item: JudgeItem, signal?: AbortSignal): Promise<Verdict> {
    const key = this.cacheKey(item);
    const cached = this.options.cache?.get(key);
    if (cached) return cached;
    const attempts = 1 + (this.options.retries ?? 2);
    let lastError = "";
    for (let attempt = 0; attempt < attempts; attempt++) {
      try {
        const response = await this.model.complete(
          {
            messages: this.spec.buildMessages(item),
            temperature: this.options.temperature ?? 0,
            ...(this.spec.maxTokens ? { maxTokens: this.spec.maxTokens } : {}),
            ...(this.spec.responseFormat === "json" ? { responseFormat: "json" as const } : {}),
            cacheSalt: attempt > 0 ? `judge-retry-${attempt}` : undefined,
          },
          signal,
        );
        const parsed = this.spec.parse(response.text);
        if (parsed) {
          const verdict: Verdict = { judge: this.name, status: "ok", ...parsed };
          this.options.cache?.set(key, verdict);
          return verdict;
        }
        lastError = `unparsable judge reply: ${JSON.stringify(response.text.slice(0, 200))}`;
      } catch (error) {
        lastError = describeError(error);
        if (signal?.aborted) break;
      }
    }
    return { judge: this.name, status: "error", correct: null, error: lastError };
  }
}

export function createJudge(name: string, model: ChatModel, options: JudgeOptions = {}): LlmJudge {
  const spec = JUDGE_SPECS[name];
  if (!spec) throw new InputError(`unknown judge "${name}"; choose one of: ${JUDGE_NAMES.join(", ")}`);
  return new LlmJudge(spec, model, options);
}

/** A judge on the configured judge endpoint (`config.judge`, falling back to `config.model`). */
export function judgeFromConfig(config: Config, name: string, options: JudgeOptions = {}): LlmJudge {
  void resolveEndpoint(config, "judge");
  return createJudge(name, createChatModel(config, { role: "judge" }), options);
}
