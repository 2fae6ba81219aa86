/**
 * Source formats understood by `drkit corpus build`, each turning one source record into passage
 * candidates. Auto-detection looks at the first record of each file.
 *
 * - `jsonl`:    `{id?, title, text}` passages (JSON Lines or a JSON list, e.g. MuSiQue / 2Wiki `*_corpus.json`)
 * - `wiki18`:   Search-R1 / FlashRAG `{id, contents}` with contents `"Title"\ntext`
 * - `hotpotqa`: question records with `context: [[title, text | sentences[]], ...]`
 * - `2wiki`:    2WikiMultihopQA question records (same context shape as HotpotQA's original release)
 * - `musique`:  MuSiQue question records with `paragraphs: [{title, paragraph_text}, ...]`
 * - `kilt`:     KILT knowledge-source pages `{wikipedia_title, text: [paragraphs], wikipedia_id?}`
 *
 * The question formats also accept plain `{title, text}` records, so `--format musique` works on both the
 * question file and the corpus file of a dataset.
 */
import { z } from "zod";
import { DataError } from "../core/errors.js";
import { joinSentences, parseContents, passageIdForTitle } from "./text.js";

export const CORPUS_FORMATS = ["jsonl", "wiki18", "hotpotqa", "musique", "2wiki", "kilt"] as const;
export type CorpusFormat = (typeof CORPUS_FORMATS)[number];
export type CorpusFormatOption = CorpusFormat | "auto";

/** A passage as read from a source; `id` undefined means "derive it from the title". */
export interface PassageCandidate {
  id?: string;
  title: string;
  text: string;
}

const IdSchema = z.union([z.string(), z.number()]).transform((value) => String(value));

const PassageRecordSchema = z.object({
  id: IdSchema.optional(),
  _id: IdSchema.optional(),
  title: z.string(),
  text: z.string(),
});

const Wiki18RecordSchema = z.object({ id: IdSchema, contents: z.string() });

const ContextRecordSchema = z.object({
  context: z.array(z.tuple([z.string(), z.union([z.string(), z.array(z.string())])]).rest(z.unknown())),
});

const MusiqueRecordSchema = z.object({
  paragraphs: z.array(
    z.object({ title: z.string(), paragraph_text: z.string().optional(), text: z.string().optional() }).loose(),
  ),
});

const KiltRecordSchema = z.object({
  wikipedia_title: z.string(),
  wikipedia_id: IdSchema.optional(),
  text: z.array(z.string()),
});

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The format a record looks like, or undefined. */
export function detectFormat(value: unknown): CorpusFormat | undefined {
  if (!isObject(value)) return undefined;
  if ("wikipedia_title" in value && Array.isArray(value.text)) return "kilt";
  if ("contents" in value && typeof value.contents === "string") return "wiki18";
  if (Array.isArray(value.paragraphs)) return "musique";
  if (Array.isArray(value.context)) {
    // 2WikiMultihopQA records carry `evidences` / `entity_ids`; HotpotQA ones do not.
    return "evidences" in value || "entity_ids" in value ? "2wiki" : "hotpotqa";
  }
  if (typeof value.title === "string" && typeof value.text === "string") return "jsonl";
  return undefined;
}

function issuesOf(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join(".") || "(record)"}: ${issue.message}`)
    .join("; ");
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown, format: string, file: string, line: number): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new DataError(`not a ${format} record (${issuesOf(parsed.error)}); check --format`, { file, line });
  }
  return parsed.data;
}

const KILT_SECTION = "Section::::";
const KILT_BULLET = "BULLET::::";

function passageFromRecord(value: unknown, format: string, file: string, line: number): PassageCandidate[] {
  // fast path for well-formed records (the common case on multi-million-line files)
  if (isObject(value) && typeof value.title === "string" && typeof value.text === "string") {
    const raw = value.id ?? value._id;
    if (raw === undefined || raw === "") return [{ title: value.title, text: value.text }];
    if (typeof raw === "string" || typeof raw === "number")
      return [{ id: String(raw), title: value.title, text: value.text }];
  }
  const record = parseWith(PassageRecordSchema, value, format, file, line);
  const id = record.id ?? record._id;
  return [{ ...(id !== undefined && id !== "" ? { id } : {}), title: record.title, text: record.text }];
}

/** The passage candidates of one record in the given format (throws DataError with file:line on a mismatch). */
export function candidatesFromRecord(
  format: CorpusFormat,
  value: unknown,
  file: string,
  line: number,
): PassageCandidate[] {
  switch (format) {
    case "jsonl":
      return passageFromRecord(value, format, file, line);
    case "wiki18": {
      if (
        isObject(value) &&
        typeof value.contents === "string" &&
        (typeof value.id === "string" || typeof value.id === "number")
      ) {
        return [{ id: String(value.id), ...parseContents(value.contents) }];
      }
      const record = parseWith(Wiki18RecordSchema, value, format, file, line);
      const { title, text } = parseContents(record.contents);
      return [{ id: record.id, title, text }];
    }
    case "hotpotqa":
    case "2wiki": {
      if (isObject(value) && !("context" in value)) return passageFromRecord(value, format, file, line);
      const record = parseWith(ContextRecordSchema, value, format, file, line);
      return record.context.map(([title, body]) => ({
        title,
        text: typeof body === "string" ? body : joinSentences(body),
      }));
    }
    case "musique": {
      if (isObject(value) && !("paragraphs" in value)) return passageFromRecord(value, format, file, line);
      const record = parseWith(MusiqueRecordSchema, value, format, file, line);
      return record.paragraphs.map((paragraph) => ({
        title: paragraph.title,
        text: paragraph.paragraph_text ?? paragraph.text ?? "",
      }));
    }
    case "kilt": {
      const record = parseWith(KiltRecordSchema, value, format, file, line);
      const title = record.wikipedia_title;
      const base = record.wikipedia_id ?? passageIdForTitle(title);
      const out: PassageCandidate[] = [];
      record.text.forEach((paragraph, index) => {
        let text = paragraph.trim();
        if (index === 0 && text === title.trim()) return; // the first paragraph repeats the title
        if (text.startsWith(KILT_SECTION)) return; // section headings are not passages
        if (text.startsWith(KILT_BULLET)) text = `- ${text.slice(KILT_BULLET.length).trim()}`;
        out.push({ id: `${base}-${index}`, title, text });
      });
      return out;
    }
  }
}
