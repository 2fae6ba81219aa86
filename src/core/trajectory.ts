/**
 * The one record that flows through agent → collect → reward → eval → train → viewer.
 *
 * A trajectory holds the chat as messages (what a chat model saw) AND, when the model server returned
 * them, the token-space view (what RL trains on): the prompt ids followed by spans of model tokens
 * (mask 1, with sampler logprobs) and observation tokens (mask 0). Never rebuild the token view by
 * re-rendering messages; append the ids the sampler returned.
 */
import { z } from "zod";

export const TRAJECTORY_VERSION = 1 as const;

export const ToolCallSchema = z.object({
  /** Call id (native function calling gives one; text protocols get a generated one). */
  id: z.string(),
  name: z.string(),
  /** Parsed arguments; `undefined` when the call could not be parsed. */
  arguments: z.unknown(),
  /** The raw text or JSON string the model produced for this call. */
  raw: z.string().optional(),
});
export type ToolCall = z.infer<typeof ToolCallSchema>;

export const ChatMessageSchema = z.object({
  role: z.enum(["system", "user", "assistant", "tool"]),
  content: z.string(),
  /** Separate reasoning text (vLLM `reasoning_content`, OpenRouter `reasoning`). */
  reasoning: z.string().optional(),
  /** Native function calls made in this assistant message. */
  toolCalls: z.array(ToolCallSchema).optional(),
  /** For `role: "tool"`: the call this message answers. */
  toolCallId: z.string().optional(),
  name: z.string().optional(),
});
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

export const ToolResultSchema = z.object({
  callId: z.string(),
  name: z.string(),
  /** Text given back to the model as the observation for this call. */
  content: z.string(),
  isError: z.boolean().default(false),
  durationMs: z.number().nonnegative().default(0),
  /** Ids of documents/pages the tool returned (passage ids or URLs), for retrieval-hit rewards. */
  sources: z.array(z.string()).default([]),
  cached: z.boolean().default(false),
});
export type ToolResult = z.infer<typeof ToolResultSchema>;

export const UsageSchema = z.object({
  promptTokens: z.number().int().nonnegative().default(0),
  completionTokens: z.number().int().nonnegative().default(0),
  totalTokens: z.number().int().nonnegative().default(0),
  llmCalls: z.number().int().nonnegative().default(0),
  toolCalls: z.number().int().nonnegative().default(0),
  costUsd: z.number().nonnegative().default(0),
});
export type Usage = z.infer<typeof UsageSchema>;

/** What the model did in a turn, after parsing under the protocol. */
export const TurnActionSchema = z.enum(["tool", "answer", "invalid", "none"]);
export type TurnAction = z.infer<typeof TurnActionSchema>;

export const TurnSchema = z.object({
  index: z.number().int().nonnegative(),
  /** The model's raw output text for this turn (after protocol cutting, e.g. at `</search>`). */
  text: z.string(),
  reasoning: z.string().optional(),
  /** Sampled token ids of `text`, when the server returned them. */
  tokenIds: z.array(z.number().int()).optional(),
  /** Sampler logprob of each sampled token (same length as tokenIds when both are known). */
  logprobs: z.array(z.number()).optional(),
  /** Prompt token ids the server reported for this call (vLLM `prompt_token_ids`). */
  promptTokenIds: z.array(z.number().int()).optional(),
  finishReason: z.string().optional(),
  action: TurnActionSchema,
  toolCalls: z.array(ToolCallSchema).default([]),
  toolResults: z.array(ToolResultSchema).default([]),
  /** The full observation text appended after this turn (rendered tool results or invalid-action feedback). */
  observation: z.string().optional(),
  usage: z.object({
    promptTokens: z.number().int().nonnegative().default(0),
    completionTokens: z.number().int().nonnegative().default(0),
  }),
  startedAt: z.string(),
  /** Time in the model call, then in the tools. */
  modelMs: z.number().nonnegative().default(0),
  toolMs: z.number().nonnegative().default(0),
});
export type Turn = z.infer<typeof TurnSchema>;

/** A contiguous run of tokens in the response: model-sampled (trained, mask 1) or observation (mask 0). */
export const TokenSpanSchema = z.object({
  source: z.enum(["model", "observation"]),
  turn: z.number().int().nonnegative(),
  ids: z.array(z.number().int()),
  /** Sampler logprobs for model spans; observation spans have none (treated as 0). */
  logprobs: z.array(z.number()).optional(),
});
export type TokenSpan = z.infer<typeof TokenSpanSchema>;

export const TokenViewSchema = z.object({
  /** Tokenizer / model the ids belong to. */
  tokenizer: z.string(),
  promptIds: z.array(z.number().int()),
  spans: z.array(TokenSpanSchema),
});
export type TokenView = z.infer<typeof TokenViewSchema>;

/** Why the episode ended. Labels follow Tongyi DeepResearch where one exists. */
export const TerminationSchema = z.enum([
  "answer",
  "generate an answer as token limit reached",
  "format error: generate an answer as token limit reached",
  "exceed available llm calls",
  "max turns reached",
  "answer not found",
  "wall clock limit",
  "budget exceeded",
  "cancelled",
  "error",
]);
export type Termination = z.infer<typeof TerminationSchema>;

export const RewardSchema = z.object({
  /** The scalar used for training / accuracy. */
  score: z.number(),
  /** Named parts (em, f1, format, retrieval, judge …). */
  components: z.record(z.string(), z.number()).default({}),
  /** Name of the reward function that produced it. */
  name: z.string(),
});
export type Reward = z.infer<typeof RewardSchema>;

export const VerdictSchema = z.object({
  judge: z.string(),
  /** `ok`: the judge decided; `error`: the judge failed and `correct` is null (never counted either way). */
  status: z.enum(["ok", "error"]),
  correct: z.boolean().nullable(),
  /** Three-way graders: correct / incorrect / not_attempted. */
  grade: z.string().optional(),
  confidence: z.number().optional(),
  extractedAnswer: z.string().optional(),
  reasoning: z.string().optional(),
  error: z.string().optional(),
});
export type Verdict = z.infer<typeof VerdictSchema>;

/** A tool offered to the model natively (the OpenAI `tools[i].function` fields). */
export const OfferedToolSchema = z.object({
  name: z.string(),
  description: z.string(),
  parameters: z.record(z.string(), z.unknown()),
});

/**
 * An earlier context segment of a `summarize` episode (ReSum): the messages (and token view on the token path) the
 * model saw from the segment's first turn until the summary, and the summary the next segment starts from. The last
 * segment is the trajectory's own `messages` / `tokens`.
 */
export const SegmentSchema = z.object({
  /** Global indexes of the segment's first and last turns (inclusive). */
  firstTurn: z.number().int().nonnegative(),
  lastTurn: z.number().int().nonnegative(),
  messages: z.array(ChatMessageSchema),
  tokens: TokenViewSchema.optional(),
  /** The state the summariser wrote; the next segment starts from the question and this. */
  summary: z.string(),
  /** Context size (tokens) that triggered the summary. */
  contextTokens: z.number().int().nonnegative(),
});
export type Segment = z.infer<typeof SegmentSchema>;

export const TrajectorySchema = z.object({
  version: z.literal(TRAJECTORY_VERSION),
  id: z.string(),
  /** Id of the question (benchmark item or synthesized question). */
  questionId: z.string().optional(),
  question: z.string(),
  goldAnswers: z.array(z.string()).default([]),
  protocol: z.string(),
  model: z.string().optional(),
  /** Rollout index within a group of samples for the same question (Pass@k, GRPO groups). */
  sample: z.number().int().nonnegative().default(0),
  messages: z.array(ChatMessageSchema),
  /**
   * The tool schemas sent with every request of a native-tools episode (the chat template renders them into the
   * prompt); absent for text protocols, whose system prompt already states the tools.
   */
  tools: z.array(OfferedToolSchema).optional(),
  turns: z.array(TurnSchema),
  tokens: TokenViewSchema.optional(),
  /** Earlier context segments when the `summarize` strategy restarted the episode; `messages`/`tokens` are the last. */
  segments: z.array(SegmentSchema).optional(),
  usage: UsageSchema,
  timings: z.object({
    startedAt: z.string(),
    endedAt: z.string().optional(),
    durationMs: z.number().nonnegative().default(0),
  }),
  termination: TerminationSchema,
  /** Final answer text (protocol-extracted), or null when none was produced. */
  prediction: z.string().nullable(),
  reward: RewardSchema.optional(),
  verdicts: z.array(VerdictSchema).default([]),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  metadata: z.record(z.string(), z.unknown()).default({}),
  /**
   * Heavy mode (`--parallel n`): the n independent episodes whose reports the aggregator read; this record's
   * prediction is the aggregate and its usage covers every call (children and aggregator).
   */
  get children() {
    return z.array(TrajectorySchema).optional();
  },
});
export type Trajectory = z.infer<typeof TrajectorySchema>;
/** The shape accepted before defaults are filled in (for constructing records). */
export type TrajectoryInput = z.input<typeof TrajectorySchema>;

export function parseTrajectory(value: unknown): Trajectory {
  return TrajectorySchema.parse(value);
}

export function emptyUsage(): Usage {
  return { promptTokens: 0, completionTokens: 0, totalTokens: 0, llmCalls: 0, toolCalls: 0, costUsd: 0 };
}

/** verl-style flat arrays of the response: ids interleaved, mask 1 for model tokens, logprob 0 for observations. */
export interface FlatResponse {
  promptIds: number[];
  responseIds: number[];
  responseMask: number[];
  responseLogprobs: number[];
  /** Index in responseIds of the last model token (where the outcome reward goes), or -1. */
  lastModelIndex: number;
}

export function flattenTokens(view: TokenView): FlatResponse {
  const responseIds: number[] = [];
  const responseMask: number[] = [];
  const responseLogprobs: number[] = [];
  let lastModelIndex = -1;
  for (const span of view.spans) {
    const isModel = span.source === "model";
    for (let i = 0; i < span.ids.length; i++) {
      responseIds.push(span.ids[i] as number);
      responseMask.push(isModel ? 1 : 0);
      responseLogprobs.push(isModel ? (span.logprobs?.[i] ?? 0) : 0);
      if (isModel) lastModelIndex = responseIds.length - 1;
    }
  }
  return { promptIds: [...view.promptIds], responseIds, responseMask, responseLogprobs, lastModelIndex };
}
