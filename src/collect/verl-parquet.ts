/**
 * verl RL training data (verl `RLHFDataset` columns, docs/collect.md): one parquet row per question with `data_source`, `prompt`
 * (list of {role, content}), `ability`, `reward_model {style: "rule", ground_truth: {target: [answers]}}`
 * and `extra_info {split, index, question}` (plus `need_tools_kwargs`/`tools_kwargs` for verl's tool agent
 * loop). Written with hyparquet-writer under an explicit nested schema so pandas/pyarrow read the
 * structs and lists natively.
 */
import { parquetWriteBuffer } from "hyparquet-writer";
import { z } from "zod";
import { searchR1Prompt } from "../agent/protocols/search-r1.js";
import { DataError, InputError } from "../core/errors.js";
import { writeFileAtomic } from "./trajectory-file.js";

/** A question as the export accepts it: drkit `Question`, `{id, question, answers, source}`, or raw HotpotQA rows. */
export const QuestionLikeSchema = z
  .object({
    id: z.union([z.string(), z.number()]).optional(),
    questionId: z.string().optional(),
    _id: z.string().optional(),
    question: z.string().min(1),
    answers: z.array(z.string()).optional(),
    goldAnswers: z.array(z.string()).optional(),
    answer: z.union([z.string(), z.array(z.string())]).optional(),
    golden_answers: z.array(z.string()).optional(),
    source: z.string().optional(),
    data_source: z.string().optional(),
  })
  .passthrough();

export interface QuestionRecord {
  id: string;
  question: string;
  answers: string[];
  source: string;
}

/** Normalise one question-like record; `fallbackId` is used when it carries no id. */
export function toQuestionRecord(
  value: unknown,
  fallbackId: string,
  fallbackSource: string,
  where: { file?: string; line?: number } = {},
): QuestionRecord {
  const parsed = QuestionLikeSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((issue) => `${issue.path.join(".") || "(row)"}: ${issue.message}`)
      .join("; ");
    throw new DataError(`not a question record (need question and answers): ${issues}`, where);
  }
  const row = parsed.data;
  const answers =
    row.answers ??
    row.goldAnswers ??
    row.golden_answers ??
    (typeof row.answer === "string" ? [row.answer] : row.answer);
  if (!answers || answers.length === 0)
    throw new DataError("question record has no answers (answers, goldAnswers or answer)", where);
  return {
    id: String(row.questionId ?? row.id ?? row._id ?? fallbackId),
    question: row.question,
    answers,
    source: row.source ?? row.data_source ?? fallbackSource,
  };
}

/** How the prompt asks for tools: Search-R1 `<search>` tags, verl's tool-call prompt, or the question alone. */
export const VERL_PROMPT_STYLES = ["search-r1", "tool-call", "plain"] as const;
export type VerlPromptStyle = (typeof VERL_PROMPT_STYLES)[number];

/**
 * verl's own prompt for its tool agent loop (`examples/data_preprocess/preprocess_search_r1_dataset.py`): it asks
 * for `<tool_call>` where Search-R1 asks for `<search>`, so hermes tool parsing finds the calls.
 */
export const VERL_TOOL_CALL_SYSTEM_PROMPT = "You are a helpful and harmless assistant.";
export const VERL_TOOL_CALL_PREFIX =
  "Answer the given question. You must conduct reasoning inside <think> and </think> " +
  "first every time you get new information. After reasoning, if you find you lack " +
  "some knowledge, you can call a search engine by <tool_call> query </tool_call> " +
  "and it will return the top searched results between <tool_response> and " +
  "</tool_response>. You can search as many times as your want. If you find no " +
  "further external knowledge needed, you can directly provide the answer inside " +
  "<answer> and </answer>, without detailed illustrations. For example, " +
  "<answer> Beijing </answer>. Question: ";

/**
 * The prompt style a verl export uses: the one asked for, else `tool-call` for `--agent-name tool_agent` (verl's
 * ToolAgentLoop parses hermes `<tool_call>` and never sees a `<search>` tag) and `search-r1` otherwise. Asking for
 * `search-r1` prompts with the tool agent is refused: every rollout would make zero tool calls.
 */
export function verlPromptStyle(requested: string | undefined, agentName: string | undefined): VerlPromptStyle {
  const style = requested ?? (agentName === "tool_agent" ? "tool-call" : "search-r1");
  if (!(VERL_PROMPT_STYLES as readonly string[]).includes(style)) {
    throw new InputError(`--prompt-style must be one of ${VERL_PROMPT_STYLES.join(", ")}, got "${style}"`);
  }
  if (style === "search-r1" && agentName === "tool_agent") {
    throw new InputError(
      "--prompt-style search-r1 asks for <search> tags, which verl's tool_agent never parses (it reads hermes " +
        "<tool_call>): use --prompt-style tool-call (the default with --agent-name tool_agent)",
    );
  }
  return style as VerlPromptStyle;
}

export interface VerlRowOptions {
  /** `search-r1` (default): Search-R1's instruction prompt; `tool-call`: verl's tool agent prompt; `plain`: the question. */
  promptStyle?: VerlPromptStyle;
  /** A system message placed before the user message. */
  systemPrompt?: string;
  /** Prefix for `data_source` (e.g. `searchR1_` to route to verl's built-in Search-R1 scorer). */
  dataSourcePrefix?: string;
  ability?: string;
  split?: string;
  /** Add `need_tools_kwargs` and `tools_kwargs.search.create_kwargs` for verl's tool agent loop. */
  toolsKwargs?: boolean;
  /** `agent_name` column (e.g. `tool_agent`). */
  agentName?: string;
}

export interface VerlRow {
  data_source: string;
  prompt: Array<{ role: string; content: string }>;
  ability: string;
  reward_model: { style: "rule"; ground_truth: { target: string[] } };
  extra_info: {
    split: string;
    index: number;
    id: string;
    question: string;
    need_tools_kwargs?: boolean;
    tools_kwargs?: {
      search: { create_kwargs: { ground_truth: { target: string[] }; question: string; data_source: string } };
    };
  };
  agent_name?: string;
}

/**
 * The dataset names verl's built-in Search-R1 scorer accepts after `searchR1_` (verl `utils/reward_score/__init__.py`
 * raises NotImplementedError on any other), from the names FlashRAG-style files and drkit's registry use.
 */
const SEARCH_R1_SOURCES: Record<string, string> = {
  nq: "nq",
  tq: "triviaqa",
  triviaqa: "triviaqa",
  popqa: "popqa",
  hotpotqa: "hotpotqa",
  "2wiki": "2wikimultihopqa",
  "2wikimultihopqa": "2wikimultihopqa",
  musique: "musique",
  bamboogle: "bamboogle",
};

/** `data_source` of a row: with the `searchR1_` prefix the source is written in verl's canonical spelling. */
export function verlDataSource(source: string, prefix = ""): string {
  if (prefix !== "searchR1_") return `${prefix}${source}`;
  return `${prefix}${SEARCH_R1_SOURCES[source.toLowerCase()] ?? source}`;
}

export function toVerlRow(question: QuestionRecord, index: number, options: VerlRowOptions = {}): VerlRow {
  const dataSource = verlDataSource(question.source, options.dataSourcePrefix);
  const style = options.promptStyle ?? "search-r1";
  const user =
    style === "plain"
      ? question.question
      : style === "tool-call"
        ? `${VERL_TOOL_CALL_PREFIX}${question.question}`
        : searchR1Prompt(question.question);
  const system = options.systemPrompt ?? (style === "tool-call" ? VERL_TOOL_CALL_SYSTEM_PROMPT : undefined);
  const prompt = [...(system ? [{ role: "system", content: system }] : []), { role: "user", content: user }];
  const target = { target: question.answers };
  const row: VerlRow = {
    data_source: dataSource,
    prompt,
    ability: options.ability ?? "fact-reasoning",
    reward_model: { style: "rule", ground_truth: target },
    extra_info: { split: options.split ?? "train", index, id: question.id, question: question.question },
  };
  if (options.toolsKwargs) {
    row.extra_info.need_tools_kwargs = true;
    row.extra_info.tools_kwargs = {
      search: { create_kwargs: { ground_truth: target, question: question.question, data_source: dataSource } },
    };
  }
  if (options.agentName) row.agent_name = options.agentName;
  return row;
}

type SchemaElement = Record<string, unknown>;
const text = (name: string): SchemaElement => ({
  name,
  type: "BYTE_ARRAY",
  converted_type: "UTF8",
  repetition_type: "OPTIONAL",
});
const group = (name: string, children: number): SchemaElement => ({
  name,
  repetition_type: "OPTIONAL",
  num_children: children,
});
const list = (name: string): SchemaElement[] => [
  { name, repetition_type: "OPTIONAL", converted_type: "LIST", num_children: 1 },
  { name: "list", repetition_type: "REPEATED", num_children: 1 },
];
const targetStruct = (name: string): SchemaElement[] => [group(name, 1), ...list("target"), text("element")];

/** The parquet bytes of verl rows (all rows must agree on the optional tool fields). */
export function verlParquetBuffer(rows: readonly VerlRow[]): ArrayBuffer {
  const withTools = rows.some((row) => row.extra_info.need_tools_kwargs);
  const withAgent = rows.some((row) => row.agent_name !== undefined);
  const extraInfo: SchemaElement[] = [
    group("extra_info", withTools ? 6 : 4),
    text("split"),
    { name: "index", type: "INT64", repetition_type: "OPTIONAL" },
    text("id"),
    text("question"),
    ...(withTools
      ? [
          { name: "need_tools_kwargs", type: "BOOLEAN", repetition_type: "OPTIONAL" },
          group("tools_kwargs", 1),
          group("search", 1),
          group("create_kwargs", 3),
          ...targetStruct("ground_truth"),
          text("question"),
          text("data_source"),
        ]
      : []),
  ];
  const schema: SchemaElement[] = [
    { name: "root", num_children: withAgent ? 6 : 5 },
    text("data_source"),
    ...list("prompt"),
    group("element", 2),
    text("role"),
    text("content"),
    text("ability"),
    group("reward_model", 2),
    text("style"),
    ...targetStruct("ground_truth"),
    ...extraInfo,
    ...(withAgent ? [text("agent_name")] : []),
  ];
  const columns = [
    "data_source",
    "prompt",
    "ability",
    "reward_model",
    "extra_info",
    ...(withAgent ? ["agent_name"] : []),
  ];
  const columnData = columns.map((name) => ({
    name,
    data: rows.map((row) => {
      if (name === "extra_info") return { ...row.extra_info, index: BigInt(row.extra_info.index) };
      return (row as unknown as Record<string, unknown>)[name] ?? null;
    }),
  }));
  // biome-ignore lint/suspicious/noExplicitAny: hyparquet-writer's SchemaElement type is not exported for nested groups
  return parquetWriteBuffer({ columnData, schema: schema as any });
}

/** Write verl rows to a parquet file atomically (temporary file, then rename). */
export function writeVerlParquet(path: string, rows: readonly VerlRow[]): void {
  writeFileAtomic(path, new Uint8Array(verlParquetBuffer(rows)));
}
