/**
 * Loaders for multi-hop QA files with supporting paragraphs, normalised to `SourceQuestion`:
 * - HotpotQA as bundled (`data/hotpotqa/questions.jsonl`: `_id`, `supporting_titles`, `context` [title, text])
 *   or in the original release format (`context` [title, sentences[]], `supporting_facts`);
 * - MuSiQue (`id`, `paragraphs`, `question_decomposition`), JSON list or JSONL;
 * - 2WikiMultihopQA (`_id`, `context` [title, sentences[]], `supporting_facts`, `evidences`).
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { DataError, NotFoundError } from "../core/errors.js";
import { hotpotPassageId } from "./passage-id.js";
import type { SourceDataset, SourcePassage, SourceQuestion } from "./types.js";

const SentencesOrText = z.union([z.string(), z.array(z.string())]);

const HotpotSchema = z.object({
  _id: z.string(),
  question: z.string(),
  answer: z.string(),
  type: z.string().default("bridge"),
  supporting_titles: z.array(z.string()).optional(),
  supporting_facts: z.array(z.tuple([z.string(), z.number()])).optional(),
  context: z.array(z.tuple([z.string(), SentencesOrText])),
  evidences: z.array(z.tuple([z.string(), z.string(), z.string()])).optional(),
});

const MusiqueSchema = z.object({
  id: z.string(),
  question: z.string(),
  answer: z.string(),
  answer_aliases: z.array(z.string()).default([]),
  paragraphs: z.array(
    z.object({ idx: z.number().int(), title: z.string(), paragraph_text: z.string(), is_supporting: z.boolean() }),
  ),
  question_decomposition: z.array(
    z.object({ question: z.string(), answer: z.string(), paragraph_support_idx: z.number().int().nullable() }),
  ),
});

function joinSentences(value: string | string[]): string {
  // HotpotQA sentences carry their own leading spaces; 2Wiki sentences do not.
  if (typeof value === "string") return value;
  return value.reduce((text, sentence) => {
    if (text === "" || /^\s/.test(sentence) || /\s$/.test(text)) return text + sentence;
    return `${text} ${sentence}`;
  }, "");
}

function fromHotpotLike(raw: unknown, file: string, line: number): SourceQuestion {
  const parsed = HotpotSchema.safeParse(raw);
  if (!parsed.success)
    throw new DataError(`not a HotpotQA/2Wiki record: ${parsed.error.issues[0]?.message ?? "invalid"}`, { file, line });
  const record = parsed.data;
  const supportingTitles = new Set(record.supporting_titles ?? record.supporting_facts?.map(([title]) => title) ?? []);
  const seen = new Set<string>();
  const passages: SourcePassage[] = [];
  for (const [title, body] of record.context) {
    if (seen.has(title)) continue;
    seen.add(title);
    passages.push({
      passageId: hotpotPassageId(title),
      title,
      text: joinSentences(body),
      supporting: supportingTitles.has(title),
    });
  }
  const dataset: SourceDataset = record.evidences ? "2wikimultihopqa" : "hotpotqa";
  return {
    id: record._id,
    dataset,
    question: record.question,
    answer: record.answer,
    aliases: [],
    type: record.type,
    passages,
    ...(record.evidences ? { evidences: record.evidences } : {}),
    origin: { file, line },
  };
}

function fromMusique(raw: unknown, file: string, line: number): SourceQuestion {
  const parsed = MusiqueSchema.safeParse(raw);
  if (!parsed.success)
    throw new DataError(`not a MuSiQue record: ${parsed.error.issues[0]?.message ?? "invalid"}`, { file, line });
  const record = parsed.data;
  const passages = record.paragraphs.map((paragraph) => ({
    passageId: hotpotPassageId(paragraph.title),
    title: paragraph.title,
    text: paragraph.paragraph_text,
    supporting: paragraph.is_supporting,
  }));
  const indexOf = new Map(record.paragraphs.map((paragraph, position) => [paragraph.idx, position]));
  return {
    id: record.id,
    dataset: "musique",
    question: record.question,
    answer: record.answer,
    aliases: record.answer_aliases,
    type: record.id.split("__")[0] ?? "musique",
    passages,
    decomposition: record.question_decomposition.map((step) => ({
      question: step.question,
      answer: step.answer,
      passageIndex: step.paragraph_support_idx === null ? null : (indexOf.get(step.paragraph_support_idx) ?? null),
    })),
    origin: { file, line },
  };
}

/** Turn one parsed record into a source question, whichever supported format it is in. */
export function toSourceQuestion(raw: unknown, file: string, line: number): SourceQuestion {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new DataError("each record must be a JSON object", { file, line });
  if ("question_decomposition" in raw) return fromMusique(raw, file, line);
  if ("_id" in raw && "context" in raw) return fromHotpotLike(raw, file, line);
  throw new DataError(
    "unrecognised multi-hop record: expected HotpotQA (_id, context), 2WikiMultihopQA (_id, context, evidences) or MuSiQue (id, paragraphs, question_decomposition)",
    { file, line },
  );
}

/** Read a multi-hop QA file (JSON list or JSONL) into source questions, in file order. */
export function loadSourceQuestions(file: string): SourceQuestion[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new NotFoundError(`cannot read ${file}: ${(error as Error).message}; pass an existing file to --from`);
  }
  const trimmed = text.trimStart();
  if (trimmed.startsWith("[")) {
    let list: unknown;
    try {
      list = JSON.parse(text);
    } catch (error) {
      throw new DataError(`invalid JSON: ${(error as Error).message}`, { file });
    }
    if (!Array.isArray(list)) throw new DataError("expected a JSON list of questions", { file });
    return list.map((raw, index) => toSourceQuestion(raw, file, index + 1));
  }
  const out: SourceQuestion[] = [];
  const lines = text.split("\n");
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]?.trim() ?? "";
    if (line === "") continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (error) {
      throw new DataError(`invalid JSON: ${(error as Error).message}`, { file, line: index + 1 });
    }
    out.push(toSourceQuestion(raw, file, index + 1));
  }
  return out;
}
