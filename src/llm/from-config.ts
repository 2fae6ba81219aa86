/** Build the model clients from a drkit `Config` (file ← env ← flags). */
import { join } from "node:path";
import { type Config, type ModelRole, resolveEndpoint } from "../core/config.js";
import { ConfigError } from "../core/errors.js";
import { OpenAICompatibleChatModel, type OpenAICompatibleOptions } from "./openai-compatible.js";
import { type ResponseCache, SqliteResponseCache } from "./response-cache.js";

export interface ModelFromConfigOptions {
  /** `model` (the agent), `judge` or `extractor` (the `visit` summary model). Default `model`. */
  role?: ModelRole;
  /** A response cache, or `true` for the SQLite cache at `$DRKIT_HOME/cache/llm.sqlite`. */
  cache?: ResponseCache | boolean;
  onRetry?: OpenAICompatibleOptions["onRetry"];
}

/** The message shown when no model endpoint is configured. */
export function missingModelMessage(role: string): string {
  const prefix = role === "model" ? "DRKIT" : `DRKIT_${role.toUpperCase()}`;
  return `no ${role === "model" ? "" : `${role} `}model is configured: set --base-url/--model or OPENAI_BASE_URL and DRKIT_MODEL (or ${prefix}_BASE_URL / ${prefix}_MODEL, or "${role}": {"baseUrl", "model"} in drkit.config.json)`;
}

export function createChatModel(config: Config, options: ModelFromConfigOptions = {}): OpenAICompatibleChatModel {
  const role = options.role ?? "model";
  const endpoint = resolveEndpoint(config, role);
  if (!endpoint.baseUrl || !endpoint.model) throw new ConfigError(missingModelMessage(role));
  const cache =
    options.cache === true
      ? new SqliteResponseCache(join(config.home, "cache", "llm.sqlite"))
      : options.cache === false
        ? undefined
        : options.cache;
  return new OpenAICompatibleChatModel({
    baseUrl: endpoint.baseUrl,
    apiKey: endpoint.apiKey,
    model: endpoint.model,
    concurrency: endpoint.concurrency,
    timeoutMs: endpoint.timeoutMs,
    maxRetries: endpoint.maxRetries,
    tokenIds: endpoint.tokenIds,
    temperature: endpoint.temperature,
    topP: endpoint.topP,
    maxTokens: endpoint.maxTokens,
    price: config.prices[endpoint.model],
    cache,
    onRetry: options.onRetry,
  });
}
