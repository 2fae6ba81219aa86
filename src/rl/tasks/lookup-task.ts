/**
 * The learning-check task family: one-hop lookups generated from a bundled corpus
 * (data/hotpotqa/corpus.jsonl by default). It checks the RL machinery rather than the model:
 *
 *   question : what is the second word of <title> ?
 *   model      → <search> <title> </search>                       (copy the title from the question)
 *   environment→ <information> title : <title> | first : w1 | second : w2 | third : w3 | fourth : w4 </information>
 *   model      → <answer> w2 </answer>                             (copy the field from the passage)
 *
 * Each question draws its own field values from the passage's words (the observation for a search
 * made in that question's episode shows them), so answers cannot be memorised from the title: the
 * only way to answer is to search and read the result. Both steps are copy operations that a small
 * transformer can learn; the task exercises the whole multi-turn token-space pipeline: sampling,
 * observation masking, reward on the last model token and grouping.
 *
 * Field values come from a closed answer vocabulary: the `answerVocabulary` words that occur in the
 * most passages of the corpus. With a word-level tokenizer every answer word is one output token; an
 * open vocabulary (any passage word) makes most answers tokens the policy emits once or twice in
 * all of training, so neither SFT nor RL can learn to produce them. A closed vocabulary keeps every
 * answer token frequent while the answer still has to be read from the observation.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { DataError } from "../../core/errors.js";
import { Random } from "../../core/random.js";
import { normalizeAnswer } from "../../reward/normalize.js";
import { splitWords } from "../policy/tokenizer.js";

export const FIELD_NAMES = ["first", "second", "third", "fourth"] as const;

export interface LookupEntity {
  id: string;
  /** Title words as tokenised (lower-case). */
  title: string[];
  /** The field values (one word each), in FIELD_NAMES order (the passage's first words). */
  fields: string[];
  /** Words of the passage the per-question field values are drawn from. */
  pool: string[];
}

export interface LookupQuestion {
  id: string;
  question: string;
  /** The gold answer word. */
  answer: string;
  entityId: string;
  field: (typeof FIELD_NAMES)[number];
  /** The search query a demonstration issues (the title). */
  query: string;
  /** This question's field values for its entity (drawn from the passage, so answers cannot be memorised). */
  fields: string[];
}

export interface LookupTask {
  entities: LookupEntity[];
  train: LookupQuestion[];
  heldOut: LookupQuestion[];
  /** Every text the tokenizer must cover (questions, rendered passages, protocol strings). */
  texts(): string[];
  /** Top-1 passage for a query: the entity whose title shares the most words with it (ties: first). */
  search(query: string): LookupEntity | undefined;
  /** The observation block for a query in the episode of `questionId`, tokenised alone by the caller. */
  observation(query: string, questionId?: string): string;
}

export interface LookupTaskOptions {
  /** Corpus JSONL with {title, text} per line. */
  corpusPath: string;
  /** Number of entities (passages) to use. */
  entities?: number;
  /** Longest title (in words). */
  maxTitleWords?: number;
  /** Training questions per entity (each with its own field values). */
  questionsPerEntity?: number;
  /** Held-out questions per entity. */
  heldOutPerEntity?: number;
  /** How many of the fields questions ask about (1 = always "first", up to 4). Default 1. */
  askedFields?: number;
  /**
   * Field values are drawn from the passage's words that are among the N words found in the most
   * passages (a closed answer vocabulary). 0 = any word of the passage (open vocabulary). Default 32.
   */
  answerVocabulary?: number;
  seed?: number;
}

const PassageLineSchema = z.object({ title: z.string(), text: z.string() });

export function renderPassage(entity: LookupEntity, values: readonly string[] = entity.fields): string {
  const fields = FIELD_NAMES.map((name, i) => `${name} : ${values[i]}`).join(" | ");
  return `title : ${entity.title.join(" ")} | ${fields}`;
}

export function questionText(entity: LookupEntity, field: (typeof FIELD_NAMES)[number]): string {
  return `question : what is the ${field} word of ${entity.title.join(" ")} ?`;
}

/** The words of a ReAct search call and its response, so the word tokenizer has them (`--protocol react`). */
export const REACT_CALL_WORDS =
  '<tool_call> {"name": "search", "arguments": {"query": ""}} </tool_call> <tool_response> </tool_response>';

export const INVALID_OBSERVATION =
  "<information> invalid action , use <search> title </search> or <answer> word </answer> </information>";

/**
 * The `size` words that occur in the most passages (ties: alphabetical), as a set. Words that answer
 * normalisation erases (the articles a, an, the) are left out: exact match would count any of them
 * as equal to another.
 */
export function answerVocabulary(passages: readonly { words: readonly string[] }[], size: number): Set<string> {
  const documentFrequency = new Map<string, number>();
  for (const passage of passages) {
    for (const word of passage.words) {
      if (normalizeAnswer(word) === "") continue;
      documentFrequency.set(word, (documentFrequency.get(word) ?? 0) + 1);
    }
  }
  const ranked = [...documentFrequency.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return new Set(ranked.slice(0, size).map(([word]) => word));
}

export function loadLookupTask(options: LookupTaskOptions): LookupTask {
  const count = options.entities ?? 64;
  const maxTitleWords = options.maxTitleWords ?? 2;
  const random = new Random(options.seed ?? 7);
  const lines = readFileSync(options.corpusPath, "utf8").split("\n");
  const passages: { index: number; title: string[]; words: string[] }[] = [];
  const seenTitles = new Set<string>();
  lines.forEach((line, index) => {
    if (line.trim() === "") return;
    let parsed: z.infer<typeof PassageLineSchema>;
    try {
      parsed = PassageLineSchema.parse(JSON.parse(line));
    } catch (error) {
      throw new DataError(`not a {title, text} passage: ${(error as Error).message}`, {
        file: options.corpusPath,
        line: index + 1,
      });
    }
    const title = splitWords(parsed.title).filter((word) => /^[\p{L}\p{N}]+$/u.test(word));
    if (title.length === 0 || title.length > maxTitleWords) return;
    const key = title.join(" ");
    if (seenTitles.has(key)) return;
    seenTitles.add(key);
    const words = splitWords(parsed.text).filter(
      (word) => /^\p{L}+$/u.test(word) && !title.includes(word) && !(FIELD_NAMES as readonly string[]).includes(word),
    );
    passages.push({ index, title, words: [...new Set(words)] });
  });
  const vocabularySize = options.answerVocabulary ?? 32;
  const vocabulary = vocabularySize > 0 ? answerVocabulary(passages, vocabularySize) : undefined;
  const candidates: LookupEntity[] = [];
  for (const passage of passages) {
    const pool = (vocabulary ? passage.words.filter((word) => vocabulary.has(word)) : passage.words).slice(0, 24);
    if (pool.length < (vocabulary ? 8 : 12)) continue;
    candidates.push({
      id: `e${passage.index + 1}`,
      title: passage.title,
      fields: pool.slice(0, FIELD_NAMES.length),
      pool,
    });
  }
  if (candidates.length < count) {
    throw new DataError(`only ${candidates.length} usable passages (need ${count}); lower --entities`, {
      file: options.corpusPath,
    });
  }
  const entities = random.sample(candidates, count);
  const make = (entity: LookupEntity, n: number, split: string): LookupQuestion[] =>
    Array.from({ length: n }, (_, k) => {
      const fields = random.sample(entity.pool, FIELD_NAMES.length);
      const fieldIndex = random.int(Math.min(FIELD_NAMES.length, Math.max(1, options.askedFields ?? 1)));
      const field = FIELD_NAMES[fieldIndex] as (typeof FIELD_NAMES)[number];
      return {
        id: `${entity.id}-${split}${k}`,
        question: questionText(entity, field),
        answer: fields[fieldIndex] as string,
        entityId: entity.id,
        field,
        query: entity.title.join(" "),
        fields,
      };
    });
  const train = random.shuffle(entities.flatMap((entity) => make(entity, options.questionsPerEntity ?? 6, "t")));
  const heldOut = entities.flatMap((entity) => make(entity, options.heldOutPerEntity ?? 1, "h"));
  const questions = [...train, ...heldOut];
  const byId = new Map(questions.map((question) => [question.id, question]));
  const search = (query: string): LookupEntity | undefined => {
    const words = new Set(splitWords(query));
    let best: LookupEntity | undefined;
    let bestScore = 0;
    for (const entity of entities) {
      const overlap = entity.title.filter((word) => words.has(word)).length;
      const score = overlap === 0 ? 0 : overlap / Math.max(entity.title.length, words.size);
      if (score > bestScore) {
        best = entity;
        bestScore = score;
      }
    }
    return best;
  };
  return {
    entities,
    train,
    heldOut,
    texts: () => [
      ...questions.map((q) => q.question),
      ...entities.map((entity) => `${renderPassage(entity)} ${entity.pool.join(" ")}`),
      INVALID_OBSERVATION,
      "<information> no results </information>",
      REACT_CALL_WORDS,
      ...FIELD_NAMES,
    ],
    search,
    observation: (query: string, questionId?: string) => {
      const hit = search(query);
      if (!hit) return "<information> no results </information>";
      const question = questionId === undefined ? undefined : byId.get(questionId);
      const values = question && question.entityId === hit.id ? question.fields : hit.fields;
      return `<information> ${renderPassage(hit, values)} </information>`;
    },
  };
}
