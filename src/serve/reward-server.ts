/**
 * A reward service for GPU trainers (docs/rewards.md "Reward server", interop.md §3 and §5):
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
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { InputError } from "../core/errors.js";
import { type ComputeScoreResult, computeScore, createRemoteRewardHandler } from "../reward/interop.js";
import { createReward, REWARD_NAMES, type RewardOptions } from "../reward/rewards.js";

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
  /** Largest request body in bytes (default 64 MiB: OpenRLHF sends whole decoded rollouts). */
  maxBodyBytes?: number;
  /** Called once per request after the response is sent (for logging). */
  onRequest?: (entry: { method: string; path: string; status: number; items: number; ms: number }) => void;
}

export interface RewardServer {
  /** Base URL, e.g. http://127.0.0.1:8001 (POST `${url}/get_reward`, `${url}/compute_score`). */
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

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

function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooLarge = () =>
      new HttpError(413, `request body too large (limit ${maxBytes} bytes); send fewer items per request`, {
        Connection: "close",
      });
    const declared = Number(request.headers["content-length"]);
    if (Number.isFinite(declared) && declared > maxBytes) {
      reject(tooLarge());
      request.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    request.on("data", (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > maxBytes) {
        failed = true;
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    request.on("error", (error) => {
      if (!failed) {
        failed = true;
        reject(error);
      }
    });
  });
}

async function readJson(request: IncomingMessage, maxBytes: number, example: string): Promise<unknown> {
  const body = await readBody(request, maxBytes);
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    throw new HttpError(400, `request body must be JSON: ${example}`);
  }
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (response.headersSent || response.destroyed) return;
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(payload),
    ...headers,
  });
  response.end(payload);
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
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024 * 1024;
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

  const handle = async (
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<{ status: number; items: number }> => {
    const path = (request.url ?? "/").split("?")[0] ?? "/";
    try {
      if (path === "/get_reward" || path === "/compute_score") {
        if (request.method !== "POST") throw new HttpError(405, `use POST ${path}`, { Allow: "POST" });
        const { body, items } = path === "/get_reward" ? await getReward(request) : await computeScores(request);
        send(response, 200, body);
        return { status: 200, items };
      }
      if (path === "/health") {
        if (request.method !== "GET" && request.method !== "HEAD")
          throw new HttpError(405, "use GET /health", { Allow: "GET, HEAD" });
        send(response, 200, {
          status: "ok",
          reward: getRewardName,
          compute_score: options.reward ?? "by data_source",
          extraction: rewardOptions.extraction ?? null,
          routes: ["POST /get_reward", "POST /compute_score", "GET /health"],
        });
        return { status: 200, items: 0 };
      }
      throw new HttpError(
        404,
        `no route ${request.method} ${path}: use POST /get_reward, POST /compute_score or GET /health`,
      );
    } catch (error) {
      if (error instanceof HttpError) {
        send(response, error.status, { error: error.message }, error.headers);
        if (error.status === 413) request.resume();
        return { status: error.status, items: 0 };
      }
      if (error instanceof InputError) {
        send(response, 400, { error: error.message });
        return { status: 400, items: 0 };
      }
      if (error instanceof RangeError && /call stack/i.test(error.message)) {
        send(response, 400, {
          error: "labels / ground_truth nest too deeply: send answers as a string, a list or {target: [...]}",
        });
        return { status: 400, items: 0 };
      }
      send(response, 500, { error: `internal error: ${(error as Error)?.message ?? String(error)}` });
      return { status: 500, items: 0 };
    }
  };

  const server = createServer((request, response) => {
    const started = performance.now();
    handle(request, response)
      .then(({ status, items }) => {
        options.onRequest?.({
          method: request.method ?? "",
          path: request.url ?? "",
          status,
          items,
          ms: performance.now() - started,
        });
      })
      .catch(() => {
        if (!response.headersSent) send(response, 500, { error: "internal error" });
      });
  });
  server.on("clientError", (_error, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });
  server.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8001, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    server,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      });
      return closing;
    },
  };
}
