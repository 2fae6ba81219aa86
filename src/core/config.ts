/**
 * Configuration: defaults ← config file ← environment ← flags, validated with zod.
 *
 * The file is `drkit.config.json` in the working directory, or `$DRKIT_HOME/config.json`, or the path in
 * `DRKIT_CONFIG`. Nothing is read at import time: call `loadConfig()`.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { z } from "zod";
import { ConfigError } from "./errors.js";

export const ModelEndpointSchema = z.object({
  /** OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1 (vLLM) or https://api.openai.com/v1. */
  baseUrl: z.string().url().optional(),
  apiKey: z.string().optional(),
  model: z.string().optional(),
  temperature: z.number().min(0).max(2).optional(),
  topP: z.number().min(0).max(1).optional(),
  maxTokens: z.number().int().positive().optional(),
  /** Most requests in flight to this endpoint at once. */
  concurrency: z.number().int().positive().default(8),
  /** Per-request timeout. */
  timeoutMs: z.number().int().positive().default(300_000),
  maxRetries: z.number().int().nonnegative().default(6),
  /** Ask the server for token ids and logprobs (vLLM extensions) so RL can train token-in/token-out. */
  tokenIds: z.boolean().default(false),
});
export type ModelEndpoint = z.infer<typeof ModelEndpointSchema>;

/** USD per million tokens, by model name. */
export const PriceSchema = z.object({
  inputPerMillion: z.number().nonnegative(),
  outputPerMillion: z.number().nonnegative(),
});
export type Price = z.infer<typeof PriceSchema>;

export const ConfigSchema = z.object({
  /** Where corpora, caches and runs live. */
  home: z.string().default(".drkit"),
  model: ModelEndpointSchema.default({ concurrency: 8, timeoutMs: 300_000, maxRetries: 6, tokenIds: false }),
  /** The judge model; unset fields fall back to `model`. */
  judge: ModelEndpointSchema.partial().default({}),
  /** The page-extractor (summary) model used by `visit`; unset fields fall back to `model`. */
  extractor: ModelEndpointSchema.partial().default({}),
  /** The model that writes `summarize` context summaries (ReSum); unset fields fall back to `model`. */
  summarizer: ModelEndpointSchema.partial().default({}),
  prices: z.record(z.string(), PriceSchema).default({}),
  search: z
    .object({
      provider: z.string().optional(),
      corpus: z.string().optional(),
    })
    .default({}),
  /** A Tinker-API training server (SkyRL's open server or hosted Tinker) for `--backend tinker`. */
  tinker: z
    .object({
      baseUrl: z.string().optional(),
      /** Sent as X-API-Key; never logged or stored in records. */
      apiKey: z.string().optional(),
    })
    .default({}),
});
export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

export interface LoadConfigOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Explicit config file; overrides discovery. */
  file?: string;
  /** Values from command-line flags (highest precedence). */
  overrides?: DeepPartial<ConfigInput>;
}

export type DeepPartial<T> = T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Merge b into a; undefined values in b do not override. */
export function mergeDeep(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [key, value] of Object.entries(b)) {
    if (value === undefined) continue;
    const existing = out[key];
    out[key] = isPlainObject(existing) && isPlainObject(value) ? mergeDeep(existing, value) : value;
  }
  return out;
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const value = JSON.parse(text) as unknown;
    if (!isPlainObject(value)) throw new Error("the top level must be a JSON object");
    return value;
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

function fromEnvironment(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const number = (value: string | undefined) => (value === undefined || value === "" ? undefined : Number(value));
  return {
    home: env.DRKIT_HOME || undefined,
    model: {
      baseUrl: env.DRKIT_BASE_URL || env.OPENAI_BASE_URL || undefined,
      apiKey: env.DRKIT_API_KEY || env.OPENAI_API_KEY || undefined,
      model: env.DRKIT_MODEL || env.OPENAI_MODEL || undefined,
      concurrency: number(env.DRKIT_CONCURRENCY),
    },
    judge: {
      baseUrl: env.DRKIT_JUDGE_BASE_URL || undefined,
      apiKey: env.DRKIT_JUDGE_API_KEY || undefined,
      model: env.DRKIT_JUDGE_MODEL || undefined,
    },
    tinker: {
      baseUrl: env.TINKER_BASE_URL || undefined,
      apiKey: env.TINKER_API_KEY || undefined,
    },
    extractor: {
      baseUrl: env.DRKIT_EXTRACTOR_BASE_URL || undefined,
      apiKey: env.DRKIT_EXTRACTOR_API_KEY || undefined,
      model: env.DRKIT_EXTRACTOR_MODEL || undefined,
    },
    summarizer: {
      baseUrl: env.DRKIT_SUMMARIZER_BASE_URL || undefined,
      apiKey: env.DRKIT_SUMMARIZER_API_KEY || undefined,
      model: env.DRKIT_SUMMARIZER_MODEL || undefined,
    },
  };
}

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  let merged: Record<string, unknown> = {};
  const candidates = options.file
    ? [resolve(cwd, options.file)]
    : [
        env.DRKIT_CONFIG ? resolve(cwd, env.DRKIT_CONFIG) : undefined,
        join(cwd, "drkit.config.json"),
        join(resolve(cwd, env.DRKIT_HOME || ".drkit"), "config.json"),
      ].filter((path): path is string => path !== undefined);
  for (const path of candidates) {
    if (options.file || existsSync(path)) {
      merged = readConfigFile(path);
      break;
    }
  }
  merged = mergeDeep(merged, fromEnvironment(env));
  if (options.overrides) merged = mergeDeep(merged, options.overrides as Record<string, unknown>);
  const parsed = ConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n  ${issues.join("\n  ")}`);
  }
  return { ...parsed.data, home: resolve(cwd, parsed.data.home) };
}

/** Whether the config names a summarizer endpoint of its own (else the agent's model summarises). */
export function hasOwnSummarizer(config: Config): boolean {
  return Object.values(config.summarizer).some((value) => value !== undefined);
}

export type ModelRole = "model" | "judge" | "extractor" | "summarizer";

/** The judge / extractor / summarizer endpoint with unset fields taken from the agent's model endpoint. */
export function resolveEndpoint(config: Config, role: ModelRole): ModelEndpoint {
  if (role === "model") return config.model;
  return ModelEndpointSchema.parse(mergeDeep(config.model, config[role] as Record<string, unknown>));
}
