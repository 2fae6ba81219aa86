/**
 * The benchmark registry: each public benchmark's fields mapped to one `Question` record. Bundled sets
 * are addressed by name and read from the package's `data/` folder; GAIA, HLE, BrowseComp (English) and
 * DeepResearch-9K come from a user-supplied file (`--file`). A file of any other benchmark can be read with
 * the `generic` mapping (question/answer fields detected).
 */
import { existsSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import JSON5 from "json5";
import { DataError } from "../core/errors.js";
import { decryptBrowseComp, decryptXbench } from "./decrypt.js";
import type { QuestionInput } from "./question.js";
import type { TableFormat } from "./tables.js";

export interface RowContext {
  file: string;
  /** 1-based row (line for jsonl). */
  row: number;
  /** 0-based index among this benchmark's rows. */
  index: number;
}

export interface BenchmarkSpec {
  name: string;
  aliases?: string[];
  description: string;
  /** Bundled files relative to data/; absent → the user supplies the file. */
  files?: string[];
  format?: TableFormat;
  /** Canaried: decrypted in memory only. */
  encrypted?: boolean;
  /** How the published papers score it: string match (EM) or an LLM judge. */
  scoring: "em" | "judge";
  /** The judge the reference uses for it (see src/eval/judges). */
  judge?: string;
  /** Closed corpus shipped with it (for `--corpus`). */
  corpus?: string;
  /** Keep only rows whose source matches (mixed parquet sets). */
  sourceFilter?: string;
  toQuestion(value: Record<string, unknown>, context: RowContext): QuestionInput | null;
}

/** The bundled data folder: `$DRKIT_DATA_DIR` or `<package>/data`. */
export function dataDirectory(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DRKIT_DATA_DIR) return env.DRKIT_DATA_DIR;
  return fileURLToPath(new URL("../../data/", import.meta.url));
}

export function bundledPath(relative: string, env?: NodeJS.ProcessEnv): string {
  return join(dataDirectory(env), relative);
}

function fail(message: string, context: RowContext): never {
  throw new DataError(message, { file: context.file, line: context.row });
}

function text(value: Record<string, unknown>, key: string, context: RowContext): string {
  const field = value[key];
  if (typeof field === "string" && field.trim() !== "") return field;
  if (typeof field === "number" || typeof field === "boolean") return String(field);
  return fail(`missing or empty field "${key}"`, context);
}

/**
 * GAIA's attachment (`file_name`, next to metadata.jsonl as in the dataset's folders; `file_path` of the parquet
 * release is tried by its base name there too) as an absolute `filePath`; a named file that is missing is an error.
 */
function gaiaAttachment(value: Record<string, unknown>, context: RowContext): { filePath?: string } {
  const name = optionalText(value, "file_name");
  if (!name) return {};
  const folder = dirname(resolve(context.file));
  const candidates = [
    resolve(folder, name),
    ...[optionalText(value, "file_path")].filter(Boolean).map((path) => resolve(folder, basename(path as string))),
  ];
  const found = candidates.find((path) => existsSync(path));
  if (!found)
    return fail(
      `attachment "${name}" is not in ${folder}: put the task files next to the metadata file, as in the GAIA download`,
      context,
    );
  return { filePath: found };
}

function optionalText(value: Record<string, unknown>, key: string): string | undefined {
  const field = value[key];
  if (field === null || field === undefined || field === "") return undefined;
  return typeof field === "string" ? field : String(field);
}

function stringList(field: unknown): string[] {
  if (field === null || field === undefined) return [];
  if (Array.isArray(field)) return field.filter((item) => item !== null && item !== undefined).map(String);
  if (typeof field === "string") {
    const trimmed = field.trim();
    if (trimmed.startsWith("[")) {
      try {
        return stringList(JSON5.parse(trimmed));
      } catch {
        return [field];
      }
    }
    return [field];
  }
  return [String(field)];
}

/** Python-literal / JSON text → value, or the raw text when it does not parse. */
function looseParse(field: unknown): unknown {
  if (typeof field !== "string") return field;
  try {
    return JSON5.parse(
      field
        .replace(/\bNone\b/g, "null")
        .replace(/\bTrue\b/g, "true")
        .replace(/\bFalse\b/g, "false"),
    );
  } catch {
    return field;
  }
}

function without(value: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) if (!keys.includes(key)) out[key] = item;
  return out;
}

/** Text of `<answer>…</answer>` when present, else the trimmed text. */
function unwrapAnswer(field: string): string {
  const match = /<answer>([\s\S]*?)<\/answer>/.exec(field);
  return (match ? (match[1] as string) : field).trim();
}

const QUESTION_KEYS = ["question", "Question", "problem", "query", "prompt", "input"];
const ANSWER_KEYS = [
  "goldAnswers",
  "golden_answers",
  "answers",
  "answer",
  "Answer",
  "final answer",
  "Final answer",
  "ground_truth",
  "target",
  "gold",
  "label",
];
const ID_KEYS = ["id", "_id", "qid", "task_id", "idx", "question_id"];

/** Detect question / answer / id fields of an unknown file. */
export function genericQuestion(source: string) {
  return (value: Record<string, unknown>, context: RowContext): QuestionInput => {
    const questionKey = QUESTION_KEYS.find((key) => value[key] !== undefined);
    if (!questionKey) fail(`no question field (looked for ${QUESTION_KEYS.join(", ")})`, context);
    let question = value[questionKey];
    if (Array.isArray(question)) {
      // chat prompt: the last user message
      const user = [...question].reverse().find((item) => (item as { role?: string })?.role === "user") as
        | { content?: unknown }
        | undefined;
      question = user?.content;
    }
    if (typeof question !== "string" || question.trim() === "") fail(`empty field "${questionKey}"`, context);
    const answerKey = ANSWER_KEYS.find((key) => value[key] !== undefined);
    let golds: string[] = [];
    if (answerKey) {
      const field = value[answerKey];
      golds =
        typeof field === "string"
          ? field.trim().startsWith("[")
            ? stringList(field)
            : field.includes("<|answer_split|>")
              ? field.split("<|answer_split|>")
              : [unwrapAnswer(field)]
          : typeof field === "object" && field !== null && !Array.isArray(field) && "target" in field
            ? stringList((field as { target: unknown }).target)
            : stringList(field);
    } else if (typeof value.reward_model === "object" && value.reward_model !== null) {
      const truth = (value.reward_model as { ground_truth?: unknown }).ground_truth;
      golds =
        typeof truth === "string"
          ? truth.split("<|answer_split|>")
          : stringList((truth as { target?: unknown })?.target ?? truth);
    }
    const idKey = ID_KEYS.find((key) => value[key] !== undefined && value[key] !== null && value[key] !== "");
    const level = optionalText(value, "level") ?? optionalText(value, "Level") ?? optionalText(value, "difficulty");
    return {
      id: idKey ? String(value[idKey]) : `${source}-${context.index + 1}`,
      question,
      goldAnswers: golds,
      ...(level !== undefined ? { level } : {}),
      source:
        typeof value.data_source === "string"
          ? value.data_source
          : typeof value.source === "string" && value.source !== ""
            ? value.source
            : source,
      metadata: {
        ...without(value, [
          questionKey,
          "level",
          "source",
          "metadata",
          ...(answerKey ? [answerKey] : []),
          ...(idKey ? [idKey] : []),
        ]),
        ...(typeof value.metadata === "object" && value.metadata !== null && !Array.isArray(value.metadata)
          ? (value.metadata as Record<string, unknown>)
          : {}),
      },
    };
  };
}

function flashRag(value: Record<string, unknown>, context: RowContext): QuestionInput {
  const prompt = value.prompt;
  const messages = Array.isArray(prompt) ? (prompt as { role?: string; content?: unknown }[]) : [];
  const user = [...messages].reverse().find((message) => message.role === "user");
  if (!user || typeof user.content !== "string" || user.content.trim() === "")
    fail('"prompt" has no user message with the question', context);
  const truth = (value.reward_model as { ground_truth?: unknown } | undefined)?.ground_truth;
  if (typeof truth !== "string") fail('"reward_model.ground_truth" must be a string', context);
  const extra = (value.extra_info ?? {}) as Record<string, unknown>;
  return {
    id: String(extra.index ?? `${context.index + 1}`),
    question: user.content,
    goldAnswers: truth.split("<|answer_split|>"),
    source: String(value.data_source ?? "flashrag"),
    metadata: { ability: value.ability, split: extra.split },
  };
}

function simpleAnswer(source: string, options: { levelKey?: string } = {}) {
  return (value: Record<string, unknown>, context: RowContext): QuestionInput => {
    const level = options.levelKey ? optionalText(value, options.levelKey) : undefined;
    return {
      id: optionalText(value, "id") ?? optionalText(value, "idx") ?? `${source}-${context.index + 1}`,
      question: text(value, "question", context),
      goldAnswers: [text(value, "answer", context)],
      ...(level !== undefined ? { level } : {}),
      source,
      metadata: without(value, ["id", "idx", "question", "answer", "gen_text_store"]),
    };
  };
}

const specs: BenchmarkSpec[] = [
  {
    name: "hotpotqa",
    description: "HotpotQA dev (distractor), first 400 questions, with a pooled closed corpus",
    files: ["hotpotqa/questions.jsonl"],
    scoring: "em",
    corpus: "hotpotqa",
    toQuestion: (value, context) => ({
      id: text(value, "_id", context),
      question: text(value, "question", context),
      goldAnswers: [text(value, "answer", context)],
      level: optionalText(value, "level"),
      source: "hotpotqa",
      metadata: { type: value.type, supportingTitles: value.supporting_titles },
    }),
  },
  {
    name: "musique",
    description: "MuSiQue-Ans train, 100 questions (2/3/4-hop) with their paragraphs",
    files: ["musique/hipporag_musique_train100.json"],
    scoring: "em",
    corpus: "musique",
    toQuestion: (value, context) => {
      const id = text(value, "id", context);
      return {
        id,
        question: text(value, "question", context),
        goldAnswers: [text(value, "answer", context), ...stringList(value.answer_aliases)],
        level: /^(\d)hop/.exec(id)?.[1] ? `${/^(\d)hop/.exec(id)?.[1]}hop` : undefined,
        source: "musique",
        metadata: { decomposition: value.question_decomposition, answerable: value.answerable },
      };
    },
  },
  {
    name: "2wikimultihopqa",
    aliases: ["2wiki"],
    description: "2WikiMultihopQA: 2 questions in the original format (the corpus is bundled separately)",
    files: ["2wikimultihopqa/kag_2wiki_qa_sub2.json"],
    scoring: "em",
    corpus: "2wikimultihopqa",
    toQuestion: (value, context) => ({
      id: text(value, "_id", context),
      question: text(value, "question", context),
      goldAnswers: [text(value, "answer", context)],
      source: "2wikimultihopqa",
      metadata: { type: value.type, evidences: value.evidences, supportingFacts: value.supporting_facts },
    }),
  },
  {
    name: "bamboogle",
    description: "Bamboogle, 125 two-hop questions",
    files: ["bamboogle/bamboogle_125.jsonl"],
    scoring: "em",
    toQuestion: (value, context) => ({
      id: `bamboogle-${text(value, "idx", context)}`,
      question: text(value, "question", context),
      goldAnswers: [text(value, "answer", context)],
      source: "bamboogle",
      metadata: {},
    }),
  },
  {
    name: "frames",
    description: "FRAMES, 824 multi-hop questions with gold Wikipedia links",
    files: ["frames/frames_824.json"],
    scoring: "judge",
    judge: "equivalence",
    toQuestion: (value, context) => {
      const golds = stringList(value.answer);
      const links = Object.entries(value)
        .filter(([key, link]) => key.startsWith("wikipedia_link") && typeof link === "string" && link !== "")
        .map(([, link]) => link);
      return {
        id: `frames-${text(value, "id", context)}`,
        question: text(value, "Question", context),
        goldAnswers: golds.length ? golds : [text(value, "Answer", context)],
        source: "frames",
        metadata: { reasoningTypes: value.reasoning_types, wikipediaLinks: links },
      };
    },
  },
  {
    name: "simpleqa",
    description: "SimpleQA test set, 4,326 short fact-seeking questions",
    files: ["simpleqa/simple_qa_test_set.csv"],
    scoring: "judge",
    judge: "simpleqa",
    toQuestion: (value, context) => {
      const metadata = looseParse(value.metadata);
      const topic =
        typeof metadata === "object" && metadata !== null ? (metadata as { topic?: unknown }).topic : undefined;
      return {
        id: `simpleqa-${context.index + 1}`,
        question: text(value, "problem", context),
        goldAnswers: [text(value, "answer", context)],
        ...(typeof topic === "string" ? { level: topic } : {}),
        source: "simpleqa",
        metadata:
          typeof metadata === "object" && metadata !== null ? (metadata as Record<string, unknown>) : { raw: metadata },
      };
    },
  },
  {
    name: "webwalkerqa",
    description: "WebWalkerQA test, 680 questions over web sites (easy/medium/hard)",
    files: ["webwalkerqa/webwalkerqa_test680.json"],
    scoring: "judge",
    judge: "equivalence",
    toQuestion: (value, context) => ({
      id: `webwalkerqa-${context.index + 1}`,
      question: text(value, "Question", context),
      goldAnswers: [text(value, "answer", context)],
      level: optionalText(value, "difficulty_level"),
      source: "webwalkerqa",
      metadata: without(value, ["Question", "answer", "difficulty_level"]),
    }),
  },
  {
    name: "strategyqa",
    description: "StrategyQA dev split, 229 yes/no questions",
    files: ["strategyqa/strategyqa_dev229.json"],
    scoring: "em",
    toQuestion: (value, context) => {
      const answer = value.answer;
      if (typeof answer !== "boolean") fail('"answer" must be true or false', context);
      return {
        id: text(value, "qid", context),
        question: text(value, "question", context),
        goldAnswers: answer ? ["yes", "true"] : ["no", "false"],
        source: "strategyqa",
        metadata: { term: value.term, facts: value.facts, decomposition: value.decomposition },
      };
    },
  },
  {
    name: "flashrag-test",
    description:
      "DeepResearcher / FlashRAG-style test parquet: NQ, TriviaQA, PopQA, HotpotQA, 2Wiki, MuSiQue, Bamboogle",
    files: ["flashrag_style/test.parquet"],
    scoring: "em",
    toQuestion: flashRag,
  },
  {
    name: "flashrag-dev",
    description: "DeepResearcher / FlashRAG-style dev parquet (125 per source)",
    files: ["flashrag_style/dev.parquet"],
    scoring: "em",
    toQuestion: flashRag,
  },
  ...(
    [
      ["nq", "nq"],
      ["triviaqa", "tq"],
      ["popqa", "popqa"],
    ] as const
  ).map(
    ([name, source]): BenchmarkSpec => ({
      name,
      description: `${name} (512 questions from the FlashRAG-style test parquet)`,
      files: ["flashrag_style/test.parquet"],
      scoring: "em",
      sourceFilter: source,
      toQuestion: flashRag,
    }),
  ),
  {
    name: "webdancer",
    description: "WebDancer sample QA (e2hqa / crawlqa), 200 questions",
    files: ["alibaba_webagent/webdancer_sample_qa200.jsonl"],
    scoring: "judge",
    judge: "equivalence",
    toQuestion: simpleAnswer("webdancer", { levelKey: "tag" }),
  },
  {
    name: "sailorfog",
    aliases: ["sailorfog-qa"],
    description: "SailorFog-QA sample, 20 questions",
    files: ["alibaba_webagent/sailorfog-QA20.jsonl"],
    scoring: "judge",
    judge: "equivalence",
    toQuestion: simpleAnswer("sailorfog"),
  },
  {
    name: "webshaper",
    description: "WebShaper, 500 questions with formalizations",
    files: ["alibaba_webagent/webshaper.500.jsonl"],
    scoring: "judge",
    judge: "equivalence",
    toQuestion: simpleAnswer("webshaper"),
  },
  {
    name: "browsecomp-zh",
    description: "BrowseComp-ZH, 289 questions (encrypted; decrypted in memory)",
    files: ["encrypted/browsecomp_zh/browsecomp-zh-encrypted.xlsx"],
    encrypted: true,
    scoring: "judge",
    judge: "browsecomp",
    toQuestion: (value, context) => {
      const password = text(value, "canary", context);
      const decrypt = (key: string) => {
        try {
          return decryptBrowseComp(text(value, key, context), password);
        } catch (error) {
          return fail(`cannot decrypt "${key}": ${(error as Error).message}`, context);
        }
      };
      return {
        id: `browsecomp-zh-${context.index + 1}`,
        question: decrypt("Question"),
        goldAnswers: [decrypt("Answer")],
        level: decrypt("Topic"),
        source: "browsecomp-zh",
        metadata: {},
      };
    },
  },
  ...(["2505", "2510"] as const).map(
    (release): BenchmarkSpec => ({
      name: `xbench-deepsearch-${release}`,
      ...(release === "2505" ? { aliases: ["xbench-deepsearch", "xbench"] } : {}),
      description: `xbench-DeepSearch ${release}, 100 questions (encrypted; decrypted in memory)`,
      files: [`encrypted/xbench_deepsearch/DeepSearch-${release}.csv`],
      encrypted: true,
      scoring: "judge",
      judge: "xbench",
      toQuestion: (value, context) => {
        const canary = text(value, "canary", context);
        const decrypt = (key: string) => {
          try {
            return decryptXbench(text(value, key, context), canary);
          } catch (error) {
            return fail(`cannot decrypt "${key}": ${(error as Error).message}`, context);
          }
        };
        return {
          id: `xbench-${text(value, "id", context)}`,
          question: decrypt("prompt"),
          goldAnswers: [decrypt("answer")],
          source: `xbench-deepsearch-${release}`,
          metadata: {},
        };
      },
    }),
  ),
  {
    name: "browsecomp",
    description: "BrowseComp (English), user-supplied browse_comp_test_set.csv (problem, answer, canary; encrypted)",
    encrypted: true,
    scoring: "judge",
    judge: "browsecomp",
    toQuestion: (value, context) => {
      const canary = text(value, "canary", context);
      const decrypt = (key: string) => {
        try {
          return decryptBrowseComp(text(value, key, context), canary);
        } catch (error) {
          return fail(`cannot decrypt "${key}": ${(error as Error).message}`, context);
        }
      };
      const topic = optionalText(value, "problem_topic");
      return {
        id: `browsecomp-${context.index + 1}`,
        question: decrypt("problem"),
        goldAnswers: [decrypt("answer")],
        ...(topic ? { level: topic } : {}),
        source: "browsecomp",
        metadata: {},
      };
    },
  },
  {
    name: "gaia",
    description: "GAIA validation, user-supplied metadata.jsonl (task_id, Question, Level, Final answer)",
    scoring: "judge",
    judge: "equivalence",
    toQuestion: (value, context) => ({
      id: text(value, "task_id", context),
      question: text(value, "Question", context),
      goldAnswers: [text(value, "Final answer", context)],
      level: optionalText(value, "Level"),
      source: "gaia",
      metadata: {
        fileName: value.file_name ?? "",
        ...gaiaAttachment(value, context),
        annotatorMetadata: value["Annotator Metadata"],
      },
    }),
  },
  {
    name: "hle",
    description: "Humanity's Last Exam, user-supplied file (id, question, answer, image, category); image rows skipped",
    scoring: "judge",
    judge: "hle",
    toQuestion: (value, context) => {
      const image = value.image;
      if (typeof image === "string" && image !== "") return null; // text-only, as Tongyi reports
      return {
        id: text(value, "id", context),
        question: text(value, "question", context),
        goldAnswers: [text(value, "answer", context)],
        level: optionalText(value, "category"),
        source: "hle",
        metadata: { answerType: value.answer_type, rawSubject: value.raw_subject },
      };
    },
  },
  {
    name: "deepresearch-9k",
    aliases: ["deepresearch9k", "deep_research_9k"],
    description: 'DeepResearch-9K, user-supplied file (question, difficulty 1-3, "search trajectory", "final answer")',
    scoring: "em",
    toQuestion: (value, context) => {
      const difficulty = value.difficulty;
      if (difficulty !== undefined && ![1, 2, 3, "1", "2", "3"].includes(difficulty as number))
        fail(`"difficulty" must be 1, 2 or 3, got ${JSON.stringify(difficulty)}`, context);
      const final = text(value, "final answer", context);
      const trajectory = value["search trajectory"];
      if (trajectory !== undefined && !Array.isArray(trajectory))
        fail('"search trajectory" must be a list of {role, content} messages', context);
      return {
        id: optionalText(value, "id") ?? `deepresearch-9k-${context.index + 1}`,
        question: text(value, "question", context),
        goldAnswers: [unwrapAnswer(final)],
        ...(difficulty !== undefined ? { level: String(difficulty) } : {}),
        source: "deep_research_9k",
        metadata: { searchTrajectory: trajectory ?? [], finalAnswer: final },
      };
    },
  },
];

/** Every registered benchmark (a fresh list). */
export function listBenchmarks(): BenchmarkSpec[] {
  return [...specs];
}

/** Look a benchmark up by name or alias (case-insensitive). */
export function findBenchmark(name: string): BenchmarkSpec | undefined {
  const key = name.toLowerCase();
  return specs.find((spec) => spec.name === key || spec.aliases?.includes(key));
}

export function isBundled(spec: BenchmarkSpec): boolean {
  return (spec.files ?? []).length > 0 && (spec.files ?? []).every((file) => existsSync(bundledPath(file)));
}
