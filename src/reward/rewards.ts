/**
 * Composite rewards configured by name, with the published shapes (reference rewards-and-judges.md §2):
 * plain EM / F1 / cover-EM, Search-R1 EM, Search-R1 v0.3 format table, DeepResearch-R1 (format 0.2,
 * correct 1.0, retrieval hit 0.1), WebDancer (0.1 format + 0.9 judge) and a judge-only 0/1 reward.
 *
 * A reward takes a `Trajectory` or `{ solution, golds }` and returns the core `Reward`.
 */
import { InputError, JudgeError } from "../core/errors.js";
import { splitAroundBlocks } from "../core/tagged-blocks.js";
import type { Reward, Trajectory, Verdict } from "../core/trajectory.js";
import { answerTagCount, type ExtractionStyle, extractAnswer, informationBlocks } from "./extract.js";
import {
  checkReactFormat,
  checkSearchR1Format,
  checkTrajectoryFormat,
  type FormatCheck,
  responseText,
} from "./format.js";
import { coverExactMatch, exactMatch, normalizeAnswer, tokenF1 } from "./normalize.js";

/** What a reward scores. Build it from a trajectory with `rewardInputFromTrajectory`. */
export interface RewardInput {
  /** The scored text: the response (or decoded prompt + response when `includesPrompt`). */
  solution: string;
  golds: string[];
  question?: string;
  /** The already-extracted answer (a trajectory's `prediction`); when absent it is extracted from `solution`. */
  prediction?: string | null;
  /** `solution` starts with the prompt (Search-R1 fork): its example `<answer>` must be skipped. */
  includesPrompt?: boolean;
  /** Retrieved texts (tool observations) for retrieval-hit bonuses; default: `<information>` blocks of solution. */
  retrieved?: string[];
  /** A precomputed format check (trajectories are checked under their own protocol). */
  format?: FormatCheck;
  trajectory?: Trajectory;
}

export function rewardInputFromTrajectory(trajectory: Trajectory): RewardInput {
  const retrieved = trajectory.turns.flatMap((turn) => [
    ...turn.toolResults.map((result) => result.content),
    ...(turn.observation && turn.toolResults.length === 0 ? [turn.observation] : []),
  ]);
  return {
    solution: responseText(trajectory),
    golds: trajectory.goldAnswers,
    question: trajectory.question,
    prediction: trajectory.prediction,
    retrieved,
    format: checkTrajectoryFormat(trajectory),
    trajectory,
  };
}

function toInput(input: RewardInput | Trajectory): RewardInput {
  return "solution" in input ? input : rewardInputFromTrajectory(input as Trajectory);
}

/** An answer judge as rewards see it (see src/reward/judges). */
export interface AnswerJudge {
  readonly name: string;
  judge(item: { question: string; prediction: string; golds: readonly string[] }): Promise<Verdict>;
}

export interface RewardFunction {
  readonly name: string;
  score(input: RewardInput | Trajectory): Promise<Reward>;
}

export interface RewardOptions {
  /** Search-R1 `score` / DeepResearch-R1 `correct_score`. */
  correctScore?: number;
  /** Search-R1 EM `format_score` (reward for a wrong extracted answer). */
  formatScore?: number;
  /** v0.3 λ_f. */
  structureFormatScore?: number;
  /** v0.3 / DeepResearch-R1 `final_format_score`. */
  finalFormatScore?: number;
  /** λ_r / DeepResearch-R1 `retrieval_score`. */
  retrievalScore?: number;
  /** WebDancer weights. */
  formatWeight?: number;
  answerWeight?: number;
  extraction?: ExtractionStyle;
  judge?: AnswerJudge;
}

function predictionOf(input: RewardInput, fallback: ExtractionStyle): string | null {
  if (input.prediction !== undefined) return input.prediction;
  return extractAnswer(input.solution, input.includesPrompt ? "search-r1" : fallback);
}

/** Normalised gold found inside a normalised retrieved text (Search-R1 `is_retrieval_correct`). */
export function retrievalHit(input: RewardInput): boolean {
  const texts = input.retrieved ?? informationBlocks(input.solution);
  const golds = input.golds.map(normalizeAnswer).filter((gold) => gold !== "");
  return texts.some((text) => {
    const normalized = normalizeAnswer(text);
    return golds.some((gold) => normalized.includes(gold));
  });
}

function formatOf(input: RewardInput): FormatCheck {
  return input.format ?? checkSearchR1Format(input.solution, { requireAssistantMarker: input.includesPrompt === true });
}

function stringComponents(prediction: string | null, golds: readonly string[]): Record<string, number> {
  if (prediction === null) return { em: 0, f1: 0, cover_em: 0, answered: 0 };
  return {
    em: exactMatch(prediction, golds),
    f1: tokenF1(prediction, golds).f1,
    cover_em: coverExactMatch(prediction, golds),
    answered: 1,
  };
}

function metricReward(name: string, metric: "em" | "f1" | "cover_em", options: RewardOptions): RewardFunction {
  return {
    name,
    async score(raw) {
      const input = toInput(raw);
      const components = stringComponents(predictionOf(input, options.extraction ?? "verl"), input.golds);
      return { name, score: components[metric] as number, components };
    },
  };
}

/** Search-R1 `compute_score_em` (format_score 0, score 1 by default). */
function searchR1Em(options: RewardOptions): RewardFunction {
  const name = "search-r1-em";
  const correct = options.correctScore ?? 1;
  const wrong = options.formatScore ?? 0;
  return {
    name,
    async score(raw) {
      const input = toInput(raw);
      const prediction = predictionOf(input, options.extraction ?? "verl");
      const components = stringComponents(prediction, input.golds);
      let score = 0;
      if (prediction !== null) score = components.em === 1 ? correct : wrong;
      // verl: a correct answer among more than 10 answer tags is divided by 4 (reward hacking guard).
      if ((options.extraction ?? "verl") === "verl" && components.em === 1 && answerTagCount(input.solution) > 10)
        score /= 4;
      return { name, score, components };
    },
  };
}

/** Search-R1 v0.3 `qa_em_format.compute_score_em` (λ_f 0.2, final format 0.1, λ_r 0 by default). */
function searchR1Format(options: RewardOptions): RewardFunction {
  const name = "search-r1-format";
  const score = options.correctScore ?? 1;
  const structure = options.structureFormatScore ?? 0.2;
  const finalFormat = options.finalFormatScore ?? 0.1;
  const retrieval = options.retrievalScore ?? 0;
  return {
    name,
    async score(raw) {
      const input = toInput(raw);
      const format = formatOf(input);
      const hit = format.valid && retrievalHit(input);
      const prediction = predictionOf(input, options.extraction ?? "verl");
      const components: Record<string, number> = {
        ...stringComponents(prediction, input.golds),
        format: format.valid ? 1 : 0,
      };
      const structureScore = hit ? structure + retrieval : structure;
      let value: number;
      if (prediction === null) value = format.valid ? structureScore : 0;
      else if (components.em === 1) value = format.valid ? score : score - structure;
      else value = format.valid ? structureScore : finalFormat;
      return { name, score: value, components: { ...components, retrieval_hit: hit ? 1 : 0 } };
    },
  };
}

/** DeepResearch-R1 active path: 0 without answer tags; else 0.2 + (1.0 if EM, or 0.1 on a retrieval hit). */
function deepResearchR1(options: RewardOptions): RewardFunction {
  const name = "deepresearch-r1";
  const correct = options.correctScore ?? 1;
  const finalFormat = options.finalFormatScore ?? 0.2;
  const retrieval = options.retrievalScore ?? 0.1;
  return {
    name,
    async score(raw) {
      const input = toInput(raw);
      const hasTags = input.solution.includes("<answer>") && input.solution.includes("</answer>");
      const prediction = hasTags ? predictionOf(input, options.extraction ?? "deepresearch-r1") : null;
      const components = stringComponents(prediction, input.golds);
      const hit = retrievalHit(input);
      let value = 0;
      if (hasTags) {
        if (components.em === 1) value = finalFormat + correct;
        else value = finalFormat + (hit ? retrieval : 0);
      }
      return { name, score: value, components: { ...components, format: hasTags ? 1 : 0, retrieval_hit: hit ? 1 : 0 } };
    },
  };
}

function requireJudge(options: RewardOptions, name: string): AnswerJudge {
  if (!options.judge) throw new InputError(`the ${name} reward needs a judge: pass { judge } (see docs/rewards.md)`);
  return options.judge;
}

async function judgeOrThrow(judge: AnswerJudge, input: RewardInput, prediction: string): Promise<Verdict> {
  const verdict = await judge.judge({ question: input.question ?? "", prediction, golds: input.golds });
  if (verdict.status === "error" || verdict.correct === null)
    throw new JudgeError(`judge ${judge.name} failed: ${verdict.error ?? "no verdict"}; the reward was not computed`);
  return verdict;
}

/** WebDancer / WebSailor: 0.1·format + 0.9·judge (ReAct format valid and every tool call valid JSON). */
function webDancer(options: RewardOptions): RewardFunction {
  const name = "webdancer";
  const formatWeight = options.formatWeight ?? 0.1;
  const answerWeight = options.answerWeight ?? 0.9;
  return {
    name,
    async score(raw) {
      const input = toInput(raw);
      const judge = requireJudge(options, name);
      const format = input.format ?? checkTrajectoryFormatFromText(input.solution);
      const prediction = predictionOf(input, options.extraction ?? "tongyi");
      const components: Record<string, number> = {
        ...stringComponents(prediction, input.golds),
        format: format.valid ? 1 : 0,
      };
      let answer = 0;
      if (prediction !== null) answer = (await judgeOrThrow(judge, input, prediction)).correct ? 1 : 0;
      components.judge = answer;
      return { name, score: formatWeight * components.format! + answerWeight * answer, components };
    },
  };
}

/** ReAct check of a flat response: the assistant parts are the text between `<tool_response>` blocks. */
function checkTrajectoryFormatFromText(text: string): FormatCheck {
  const parts = splitAroundBlocks(text, "<tool_response>", "</tool_response>")
    .map((part) => part.trim())
    .filter((part) => part !== "");
  return checkReactFormat(parts);
}

/** Tongyi DeepResearch RL: 0/1 from the judge, no format reward. */
function judgeOnly(options: RewardOptions): RewardFunction {
  const name = "judge";
  return {
    name,
    async score(raw) {
      const input = toInput(raw);
      const judge = requireJudge(options, name);
      const prediction = predictionOf(input, options.extraction ?? "tongyi");
      const components: Record<string, number> = stringComponents(prediction, input.golds);
      const correct = prediction === null ? false : (await judgeOrThrow(judge, input, prediction)).correct === true;
      components.judge = correct ? 1 : 0;
      return { name, score: correct ? 1 : 0, components };
    },
  };
}

export const REWARD_NAMES = [
  "em",
  "f1",
  "cover_em",
  "search-r1-em",
  "search-r1-format",
  "deepresearch-r1",
  "webdancer",
  "judge",
] as const;
export type RewardName = (typeof REWARD_NAMES)[number];

/** A reward by name. Unknown names throw an InputError listing the known ones. */
export function createReward(name: string, options: RewardOptions = {}): RewardFunction {
  switch (name) {
    case "em":
    case "f1":
    case "cover_em":
      return metricReward(name, name, options);
    case "search-r1-em":
      return searchR1Em(options);
    case "search-r1-format":
      return searchR1Format(options);
    case "deepresearch-r1":
      return deepResearchR1(options);
    case "webdancer":
      return webDancer(options);
    case "judge":
      return judgeOnly(options);
    default:
      throw new InputError(`unknown reward "${name}"; choose one of: ${REWARD_NAMES.join(", ")}`);
  }
}

/** Score and attach the reward to a copy of the trajectory. */
export async function rewardTrajectory(trajectory: Trajectory, reward: RewardFunction): Promise<Trajectory> {
  return { ...trajectory, reward: await reward.score(trajectory) };
}
