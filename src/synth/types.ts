/**
 * Records of the multi-hop synthesis pipeline: source questions (any of the supported multi-hop formats,
 * normalised), reasoning chains, obfuscated items and their checks. Every stage writes one of these per line.
 */
import { z } from "zod";

/** One evidence paragraph of a source question, with the passage id the corpus stores it under. */
export const SourcePassageSchema = z.object({
  passageId: z.string(),
  title: z.string(),
  text: z.string(),
  supporting: z.boolean(),
});
export type SourcePassage = z.infer<typeof SourcePassageSchema>;

export const SourceDatasetSchema = z.enum(["hotpotqa", "musique", "2wikimultihopqa"]);
export type SourceDataset = z.infer<typeof SourceDatasetSchema>;

/** A multi-hop question with its supporting paragraphs, whatever file format it came from. */
export const SourceQuestionSchema = z.object({
  id: z.string(),
  dataset: SourceDatasetSchema,
  question: z.string(),
  answer: z.string(),
  aliases: z.array(z.string()).default([]),
  /** HotpotQA `bridge`/`comparison`, 2Wiki `compositional`/`comparison`/…, MuSiQue `2hop`/`3hop1`/… */
  type: z.string(),
  passages: z.array(SourcePassageSchema),
  /** MuSiQue decomposition: sub-questions with their answers and the index of their supporting passage. */
  decomposition: z
    .array(z.object({ question: z.string(), answer: z.string(), passageIndex: z.number().int().nullable() }))
    .optional(),
  /** 2WikiMultihopQA evidence triples [subject, relation, object]. */
  evidences: z.array(z.tuple([z.string(), z.string(), z.string()])).optional(),
  /** Where the record came from: file and 1-based line or list index. */
  origin: z.object({ file: z.string(), line: z.number().int() }),
});
export type SourceQuestion = z.infer<typeof SourceQuestionSchema>;

export const ChainEntityRoleSchema = z.enum(["topic", "bridge", "compared", "answer"]);
export type ChainEntityRole = z.infer<typeof ChainEntityRoleSchema>;

/** An entity on the reasoning chain with its own evidence passage. */
export const ChainEntitySchema = z.object({
  /** Display name (the passage title without a trailing disambiguation such as " (film)"). */
  name: z.string(),
  role: ChainEntityRoleSchema,
  passageId: z.string(),
  title: z.string(),
  /** The exact text span naming this entity in the source question, or null when the question does not name it. */
  mention: z.string().nullable(),
});
export type ChainEntity = z.infer<typeof ChainEntitySchema>;

export const ChainHopSchema = z.object({
  index: z.number().int().nonnegative(),
  /** The entity this hop reads about. */
  entity: z.string(),
  passageId: z.string(),
  /** The sub-question of this hop when the source gives one (MuSiQue) or a relation (2Wiki). */
  question: z.string().nullable(),
  /** What this hop yields: the next entity's name, a compared attribute, or the final answer. */
  yields: z.string(),
});
export type ChainHop = z.infer<typeof ChainHopSchema>;

export const ChainKindSchema = z.enum(["bridge", "comparison"]);
export type ChainKind = z.infer<typeof ChainKindSchema>;

export const ChainSchema = z.object({
  sourceId: z.string(),
  dataset: SourceDatasetSchema,
  kind: ChainKindSchema,
  question: z.string(),
  answer: z.string(),
  aliases: z.array(z.string()),
  entities: z.array(ChainEntitySchema),
  hops: z.array(ChainHopSchema),
  evidenceIds: z.array(z.string()),
  /** Paragraphs keyed by passage id, so later stages need no source file. */
  passages: z.record(z.string(), z.object({ title: z.string(), text: z.string() })),
});
export type Chain = z.infer<typeof ChainSchema>;

/** One replacement made by an obfuscator: the span removed from the question and what took its place. */
export const ReplacementSchema = z.object({
  original: z.string(),
  replacement: z.string(),
  kind: z.enum(["entity-description", "name-hint", "date-period", "number-range"]),
  /** The passage the description was drawn from (entity descriptions only). */
  passageId: z.string().nullable(),
  /** The entity's name as the corpus knows it (its title without disambiguation). */
  entity: z.string().nullable(),
});
export type Replacement = z.infer<typeof ReplacementSchema>;

export const LevelSchema = z.union([z.literal(1), z.literal(2), z.literal(3)]);
export type Level = z.infer<typeof LevelSchema>;

/** One check on one item: `passed` null means the check could not be run (recorded, never counted as passed). */
export const CheckSchema = z.object({
  passed: z.boolean().nullable(),
  method: z.string(),
  detail: z.record(z.string(), z.unknown()).default({}),
});
export type Check = z.infer<typeof CheckSchema>;

export const ObfuscatedItemSchema = z.object({
  id: z.string(),
  sourceId: z.string(),
  level: LevelSchema,
  question: z.string(),
  answer: z.string(),
  obfuscator: z.string(),
  replacements: z.array(ReplacementSchema),
  /** Names that must not appear in the question (obfuscated entities). */
  hiddenNames: z.array(z.string()),
});
export type ObfuscatedItem = z.infer<typeof ObfuscatedItemSchema>;

export const SearchStepSchema = z.object({
  query: z.string(),
  hits: z.array(z.object({ id: z.string(), title: z.string(), text: z.string() })),
  /** The evidence passage this step was looking for, and its 1-based rank (null: not in the hits). */
  target: z.string().nullable(),
  rank: z.number().int().nullable(),
});
export type SearchStep = z.infer<typeof SearchStepSchema>;

export const DifficultyLabelSchema = z.enum(["trivial", "medium", "hard", "unsolvable"]);
export type DifficultyLabel = z.infer<typeof DifficultyLabelSchema>;

/** The final record (our schema). */
export const SynthRecordSchema = z.object({
  id: z.string(),
  question: z.string(),
  answer: z.string(),
  aliases: z.array(z.string()),
  level: LevelSchema,
  source_id: z.string(),
  source: z.object({ dataset: SourceDatasetSchema, question: z.string(), file: z.string(), line: z.number().int() }),
  chain: z.object({ kind: ChainKindSchema, entities: z.array(ChainEntitySchema), hops: z.array(ChainHopSchema) }),
  evidence_ids: z.array(z.string()),
  obfuscator: z.string(),
  replacements: z.array(ReplacementSchema),
  checks: z.object({
    answer_unchanged: CheckSchema,
    leakage: CheckSchema,
    /** The readability gate (src/synth/readability.ts); absent in records written before it existed. */
    readability: CheckSchema.optional(),
    uniqueness: CheckSchema,
    solvability: CheckSchema,
  }),
  calibration: z.object({
    method: z.string(),
    rollouts: z.number().int().nonnegative(),
    pass_rate: z.number().min(0).max(1).nullable(),
    label: DifficultyLabelSchema,
  }),
  kept: z.boolean(),
  drop_reasons: z.array(z.string()),
  /** Which of the obfuscator's rewrites this is (0: its preferred one); absent when it made only one. */
  variant: z.number().int().nonnegative().optional(),
  /** The level's other rewrites that were checked, and why each was dropped. */
  other_variants: z.array(z.object({ question: z.string(), drop_reasons: z.array(z.string()) })).optional(),
  /** The solver's search steps (oracle) or the agent trajectory id, for the DeepResearch-9K export. */
  trajectory: z.object({
    source: z.enum(["oracle", "agent", "none"]),
    steps: z.array(SearchStepSchema),
    messages: z.array(z.object({ role: z.string(), content: z.string() })).optional(),
    prediction: z.string().nullable(),
  }),
});
export type SynthRecord = z.infer<typeof SynthRecordSchema>;
