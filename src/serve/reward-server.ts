/**
 * A reward service for GPU trainers (docs/rewards.md "Reward server"; OpenRLHF remote reward, verl compute_score):
 *
 *   POST /get_reward     {"query": [...], "prompts": [...], "labels": [...]}
 *     → {"rewards": [...], "scores": [...], "extra_logs": {"em": [...], ...}}        (OpenRLHF remote reward)
 *   POST /compute_score  {"data_source", "solution_str", "ground_truth", "extra_info"?}
 *     → {"score": s, "em": …, ...}                                                   (verl compute_score)
 *   POST /compute_score  {"items": [{…}, …]} → {"results": [{"score": s, ...}, ...]}
 *   GET /health → {"status": "ok", "reward", "extraction", "routes"}
 *
 * Errors are JSON `{"error": "..."}`: 400 bad input, 404 unknown route, 405 wrong method, 413 body too
 * large, 500 anything unexpected (the server keeps running).
 */
import type { IncomingMessage } from "node:http";
import { z } from "zod";
import { InputError } from "../core/errors.js";
import { type ComputeScoreResult, computeScore, createRemoteRewardHandler } from "../reward/interop.js";
import { createReward, REWARD_NAMES, type RewardOptions } from "../reward/rewards.js";
import { HttpError, type ListeningServer, readJsonBody, startJsonServer } from "./http.js";
import type { RequestGuardOptions } from "./request-guard.js";

/** The reward /get_reward uses when none is named (the OpenRLHF + Search-R1 setup). */
export const DEFAULT_SERVER_REWARD = "search-r1-em";

/** Rewards that need an LLM judge, which the reward server does not hold. */
const JUDGE_REWARDS = new Set(["webdancer", "judge"]);

export interface RewardServerOptions {
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** Port (default 8001; 0 picks a free one). */
  port?: number;
  /**
   * Reward name (`em`, `f1`, `cover_em`, `search-r1-em`, `search-r1-format`, `deepresearch-r1`). /get_reward
   * uses it (default `search-r1-em`); /compute_score uses it when set, else routes by `data_source` like
   * `computeScore`. A request's `extra_info.reward` wins over both.
   */
  reward?: string;
  /** Answer extraction and the reward's published constants (`correctScore`, `formatScore`, …). */
  rewardOptions?: Omit<RewardOptions, "judge">;
  /** Cut each prompt from the front of its OpenRLHF query before scoring (default true). */
  stripPrompt?: boolean;
  /** Most queries (or compute_score items) in one request (default 65536). */
  maxItems?: number;
  /**
   * Largest request body in bytes (default 16 MiB). OpenRLHF posts one micro-batch of decoded rollouts per request
   * (e.g. 32 × 16K tokens ≈ 2 MiB), verl one item or a batch; every scan is linear, so the cap bounds the time too.
   */
  maxBodyBytes?: number;
  /** Extra Host names and the browser origins allowed to call (default: loopback names, no cross-origin pages). */
  guard?: RequestGuardOptions;
  /** Called once per request after the response is sent (for logging). */
  onRequest?: (entry: { method: string; path: string; status: number; items: number; ms: number }) => void;
}

/** The running server; `url` is the base URL, e.g. http://127.0.0.1:8001 (POST `${url}/get_reward`). */
export type RewardServer = ListeningServer;

const ComputeScoreItemSchema = z.object({
  data_source: z.string({ error: "must be a string" }),
  solution_str: z.string({ error: "must be a string" }),
  ground_truth: z.unknown().refine((value) => value !== undefined, { error: "required (the gold answers)" }),
  extra_info: z.record(z.string(), z.unknown(), { error: "must be an object" }).nullish(),
});
export type ComputeScoreRequestItem = z.infer<typeof ComputeScoreItemSchema>;

/** The request schemas of POST /compute_score: one item, or a batch `{items: [...]}`. */
export function computeScoreRequestSchema(limits: { maxItems: number }) {
  return {
    item: ComputeScoreItemSchema,
    batch: z.object({
      items: z
        .array(ComputeScoreItemSchema, { error: "must be an array of {data_source, solution_str, ground_truth}" })
        .max(limits.maxItems, { error: `at most ${limits.maxItems} items per request` }),
    }),
  };
}

function readJson(request: IncomingMessage, maxBytes: number, example: string): Promise<unknown> {
  return readJsonBody(request, {
    maxBytes,
    example,
    tooLargeMessage: `request body too large (limit ${maxBytes} bytes); send fewer items per request`,
  });
}

function zodMessage(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid request";
  return `${issue.path.length > 0 ? `${issue.path.join(".")}: ` : ""}${issue.message}`;
}

/** Check a reward name for serving: it must exist and must not need an LLM judge. */
export function checkServableReward(name: string): void {
  createReward(name); // throws InputError listing the known names
  if (JUDGE_REWARDS.has(name))
    throw new InputError(
      `the ${name} reward needs an LLM judge, which the reward server does not run; choose one of: ${REWARD_NAMES.filter((reward) => !JUDGE_REWARDS.has(reward)).join(", ")}`,
    );
}

/** Start serving /get_reward, /compute_score and /health. */
export async function startRewardServer(options: RewardServerOptions = {}): Promise<RewardServer> {
  const host = options.host ?? "127.0.0.1";
  const maxItems = options.maxItems ?? 65_536;
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;
  const rewardOptions: RewardOptions = { ...options.rewardOptions };
  if (!(Number.isInteger(maxItems) && maxItems >= 1)) throw new RangeError("maxItems must be a whole number ≥ 1");
  if (!(Number.isInteger(maxBodyBytes) && maxBodyBytes >= 1))
    throw new RangeError("maxBodyBytes must be a whole number ≥ 1");
  if (options.reward !== undefined) checkServableReward(options.reward);
  const getRewardName = options.reward ?? DEFAULT_SERVER_REWARD;
  const remoteHandler = createRemoteRewardHandler({
    ...rewardOptions,
    reward: getRewardName,
    ...(options.stripPrompt !== undefined ? { stripPrompt: options.stripPrompt } : {}),
  });
  const scoreSchema = computeScoreRequestSchema({ maxItems });

  const scoreItem = (item: ComputeScoreRequestItem): Promise<ComputeScoreResult> => {
    const extraInfo: Record<string, unknown> = {
      ...(options.reward !== undefined ? { reward: options.reward } : {}),
      ...(item.extra_info ?? {}),
    };
    if (typeof extraInfo.reward === "string" && JUDGE_REWARDS.has(extraInfo.reward))
      checkServableReward(extraInfo.reward);
    return computeScore(item.data_source, item.solution_str, item.ground_truth, extraInfo, rewardOptions);
  };

  const getReward = async (request: IncomingMessage) => {
    const value = await readJson(request, maxBodyBytes, '{"query": [...], "prompts": [...], "labels": [...]}');
    if (
      value !== null &&
      typeof value === "object" &&
      Array.isArray((value as { query?: unknown }).query) &&
      (value as { query: unknown[] }).query.length > maxItems
    )
      throw new HttpError(400, `query: at most ${maxItems} queries per request`);
    const result = await remoteHandler(value);
    return { body: result, items: result.rewards.length };
  };

  const computeScores = async (request: IncomingMessage) => {
    const value = await readJson(
      request,
      maxBodyBytes,
      '{"data_source": "nq", "solution_str": "...", "ground_truth": {"target": [...]}, "extra_info": {}}',
    );
    if (value === null || typeof value !== "object" || Array.isArray(value))
      throw new HttpError(
        400,
        "request body must be a JSON object: {data_source, solution_str, ground_truth} or {items}",
      );
    if ("items" in value) {
      const parsed = scoreSchema.batch.safeParse(value);
      if (!parsed.success) throw new HttpError(400, zodMessage(parsed.error));
      const results: ComputeScoreResult[] = [];
      for (const [index, item] of parsed.data.items.entries()) {
        try {
          results.push(await scoreItem(item));
        } catch (error) {
          if (error instanceof InputError) throw new InputError(`items.${index}: ${error.message}`);
          throw error;
        }
      }
      return { body: { results }, items: results.length };
    }
    const parsed = scoreSchema.item.safeParse(value);
    if (!parsed.success) throw new HttpError(400, zodMessage(parsed.error));
    return { body: await scoreItem(parsed.data), items: 1 };
  };

  return startJsonServer({
    host,
    port: options.port ?? 8001,
    async handle(request, path) {
      if (path === "/get_reward" || path === "/compute_score") {
        if (request.method !== "POST") throw new HttpError(405, `use POST ${path}`, { Allow: "POST" });
        const { body, items } = path === "/get_reward" ? await getReward(request) : await computeScores(request);
        return { body, count: items };
      }
      if (path === "/health") {
        if (request.method !== "GET" && request.method !== "HEAD")
          throw new HttpError(405, "use GET /health", { Allow: "GET, HEAD" });
        const body = {
          status: "ok",
          reward: getRewardName,
          compute_score: options.reward ?? "by data_source",
          extraction: rewardOptions.extraction ?? null,
          routes: ["POST /get_reward", "POST /compute_score", "GET /health"],
        };
        return { body, count: 0 };
      }
      throw new HttpError(
        404,
        `no route ${request.method} ${path}: use POST /get_reward, POST /compute_score or GET /health`,
      );
    },
    mapError(error) {
      if (error instanceof InputError) return new HttpError(400, error.message);
      if (error instanceof RangeError && /call stack/i.test(error.message))
        return new HttpError(
          400,
          "labels / ground_truth nest too deeply: send answers as a string, a list or {target: [...]}",
        );
      return undefined;
    },
    onRequest: ({ count, ...entry }) => options.onRequest?.({ ...entry, items: count }),
    ...(options.guard ? { guard: options.guard } : {}),
  });
}
