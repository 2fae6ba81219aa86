/**
 * Interop entry points for other trainers (verl `compute_score`, OpenRLHF remote reward; docs/rewards.md):
 * - `computeScore(dataSource, solutionStr, groundTruth, extraInfo)`: verl `compute_score` semantics;
 * - `createRemoteRewardHandler(...)`: the OpenRLHF remote reward contract `{query, prompts, labels}` →
 *   `{rewards, scores, extra_logs}`, a plain async function to mount on any HTTP server.
 */
import { z } from "zod";
import { InputError } from "../core/errors.js";
import { createReward, type RewardFunction, type RewardOptions } from "./rewards.js";

export const ANSWER_SPLIT = "<|answer_split|>";

/**
 * Gold answers from any ground-truth shape: `{target: [...]}` (Search-R1), a list, a string joined with
 * `<|answer_split|>` (DeepResearcher / FlashRAG parquet), or a JSON string of one of those.
 */
export function parseGroundTruth(groundTruth: unknown): string[] {
  if (groundTruth === null || groundTruth === undefined) return [];
  if (typeof groundTruth === "string") {
    const trimmed = groundTruth.trim();
    if ((trimmed.startsWith("[") || trimmed.startsWith("{")) && trimmed.length > 1) {
      try {
        return parseGroundTruth(JSON.parse(trimmed));
      } catch {
        // not JSON: a plain answer
      }
    }
    return groundTruth.split(ANSWER_SPLIT);
  }
  if (typeof groundTruth === "number" || typeof groundTruth === "boolean") return [String(groundTruth)];
  if (Array.isArray(groundTruth) || ArrayBuffer.isView(groundTruth)) {
    return Array.from(groundTruth as ArrayLike<unknown>).flatMap((item) => parseGroundTruth(item));
  }
  if (typeof groundTruth === "object") {
    const record = groundTruth as Record<string, unknown>;
    for (const key of ["target", "ground_truth", "answers", "answer"]) {
      if (key in record) return parseGroundTruth(record[key]);
    }
  }
  throw new InputError(`cannot read gold answers from ground truth ${JSON.stringify(groundTruth).slice(0, 200)}`);
}

const SEARCH_R1_SOURCES = new Set([
  "nq",
  "triviaqa",
  "tq",
  "popqa",
  "hotpotqa",
  "2wikimultihopqa",
  "2wiki",
  "musique",
  "bamboogle",
]);

/**
 * The reward a data source routes to: `deep_research_9k` → DeepResearch-R1; `searchR1_*` and the seven QA
 * sets → Search-R1 EM with verl extraction (response-only text). Anything else → plain EM. An explicit
 * `extraInfo.reward` (a reward name) wins.
 */
export function rewardNameForDataSource(dataSource: string, extraInfo?: Record<string, unknown>): string {
  const explicit = extraInfo?.reward;
  if (typeof explicit === "string") return explicit;
  const source = dataSource.toLowerCase();
  if (source === "deep_research_9k" || source.startsWith("deepresearch")) return "deepresearch-r1";
  if (source.startsWith("searchr1_") || SEARCH_R1_SOURCES.has(source)) return "search-r1-em";
  return "em";
}

export interface ComputeScoreResult {
  score: number;
  [component: string]: number;
}

/**
 * verl `compute_score(data_source, solution_str, ground_truth, extra_info)`. `solution_str` is the decoded
 * response (current verl); set `extraInfo.includes_prompt = true` for the Search-R1 fork, which passes
 * prompt + response. Returns `{score, ...components}` (verl accepts a dict with "score").
 */
export async function computeScore(
  dataSource: string,
  solutionStr: string,
  groundTruth: unknown,
  extraInfo: Record<string, unknown> = {},
  options: RewardOptions = {},
): Promise<ComputeScoreResult> {
  const reward = createReward(rewardNameForDataSource(dataSource, extraInfo), options);
  const result = await reward.score({
    solution: solutionStr,
    golds: parseGroundTruth(groundTruth),
    question: typeof extraInfo.question === "string" ? extraInfo.question : undefined,
    includesPrompt: extraInfo.includes_prompt === true,
  });
  return { ...result.components, score: result.score };
}

export const RemoteRewardRequestSchema = z.object({
  query: z.array(z.string()),
  prompts: z.array(z.string()).optional(),
  labels: z.array(z.unknown()).optional(),
});
export type RemoteRewardRequest = z.infer<typeof RemoteRewardRequestSchema>;

export interface RemoteRewardResponse {
  rewards: number[];
  scores: number[];
  extra_logs: Record<string, number[]>;
}

export interface RemoteRewardHandlerOptions extends RewardOptions {
  /** Reward name (default `search-r1-em`). */
  reward?: string | RewardFunction;
  /**
   * OpenRLHF sends the full decoded prompt + response as `query`. When `prompts` are given they are cut
   * from the front of each query so the prompt's example answer is not scored; otherwise the Search-R1
   * "skip the first match" extraction is used.
   */
  stripPrompt?: boolean;
}

/**
 * An OpenRLHF remote reward handler: validate the body, score each query against its label, answer
 * `{rewards, scores, extra_logs}` (scores = rewards clipped to [0, 1]). Invalid bodies throw InputError
 * (the server maps it to HTTP 400).
 */
export function createRemoteRewardHandler(
  options: RemoteRewardHandlerOptions = {},
): (body: unknown) => Promise<RemoteRewardResponse> {
  const reward =
    typeof options.reward === "object" ? options.reward : createReward(options.reward ?? "search-r1-em", options);
  return async (body) => {
    const parsed = RemoteRewardRequestSchema.safeParse(body);
    if (!parsed.success) {
      throw new InputError(
        `invalid reward request: ${parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ")}; expected {"query": [..], "prompts": [..], "labels": [..]}`,
      );
    }
    const { query, prompts, labels } = parsed.data;
    if (labels && labels.length !== query.length)
      throw new InputError(`labels has ${labels.length} items but query has ${query.length}; send one label per query`);
    if (prompts && prompts.length !== query.length)
      throw new InputError(`prompts has ${prompts.length} items but query has ${query.length}`);
    const rewards: number[] = [];
    const extraLogs: Record<string, number[]> = {};
    for (const [index, text] of query.entries()) {
      const prompt = prompts?.[index];
      const strip = options.stripPrompt !== false && prompt !== undefined && text.startsWith(prompt);
      const result = await reward.score({
        solution: strip ? text.slice(prompt.length) : text,
        golds: parseGroundTruth(labels?.[index] ?? []),
        includesPrompt: !strip,
        ...(prompt !== undefined ? { question: prompt } : {}),
      });
      rewards.push(result.score);
      for (const [name, value] of Object.entries(result.components)) {
        extraLogs[name] ??= new Array(index).fill(0);
        extraLogs[name].push(value);
      }
      for (const values of Object.values(extraLogs)) while (values.length < rewards.length) values.push(0);
    }
    return { rewards, scores: rewards.map((value) => Math.min(1, Math.max(0, value))), extra_logs: extraLogs };
  };
}
