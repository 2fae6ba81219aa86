/**
 * OpenAI-compatible HTTP client (chat completions and token-in completions) on Node's built-in fetch (undici),
 * with zod-validated responses. Works with vLLM, SGLang, Ollama, llama.cpp server, OpenAI, OpenRouter and
 * DeepSeek. It carries the vLLM RL extensions first-class: `logprobs`, `return_tokens_as_token_ids`,
 * `return_token_ids` → `tokenIds`, `logprobs`, `promptTokenIds` on every response (why not the AI SDK: see
 * docs/agent.md). Retries (jittered backoff, Retry-After), a per-endpoint concurrency limit, cost from a price
 * table, an optional response cache and AbortSignal cancellation.
 */
import { Agent, type Dispatcher } from "undici";
import { z } from "zod";
import { costOf } from "../core/budget.js";
import type { Price } from "../core/config.js";
import { CancelledError, ConfigError, ProviderError } from "../core/errors.js";
import type { ChatMessage, ToolCall } from "../core/trajectory.js";
import {
  type ChatModel,
  type ChatRequest,
  type ChatResponse,
  functionTools,
  type TokenCompletionModel,
  type TokenCompletionRequest,
  type TokenCompletionResponse,
} from "./chat-model.js";
import { RequestLimiter } from "./request-limiter.js";
import type { ResponseCache } from "./response-cache.js";
import { isRetryableStatus, parseRetryAfter, type RetryPolicy, withRetries } from "./retry.js";

export interface OpenAICompatibleOptions {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:8000/v1`. */
  baseUrl: string;
  apiKey?: string;
  model: string;
  /** Requests in flight at once for this client. Default 8. */
  concurrency?: number;
  /** Per-try timeout. Default 300 s. */
  timeoutMs?: number;
  maxRetries?: number;
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
  /** Ask for token ids and logprobs by default (vLLM). */
  tokenIds?: boolean;
  /** Defaults for every chat call (overridden per request). */
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  price?: Price;
  cache?: ResponseCache;
  headers?: Record<string, string>;
  /** Called before each retry (logging). */
  onRetry?: (error: ProviderError, delayMs: number, tryIndex: number) => void;
  /** undici dispatcher to send requests through (default: one keep-alive Agent per client). */
  dispatcher?: Dispatcher;
}

const ToolCallWireSchema = z.object({
  id: z.string().nullish(),
  type: z.string().nullish(),
  function: z.object({ name: z.string(), arguments: z.string().nullish() }),
});

const LogprobContentSchema = z.object({ token: z.string(), logprob: z.number() }).loose();

const ChatChoiceSchema = z
  .object({
    index: z.number().int().optional(),
    message: z
      .object({
        content: z.string().nullish(),
        reasoning_content: z.string().nullish(),
        reasoning: z.string().nullish(),
        tool_calls: z.array(ToolCallWireSchema).nullish(),
      })
      .loose(),
    finish_reason: z.string().nullish(),
    logprobs: z
      .object({ content: z.array(LogprobContentSchema).nullish() })
      .loose()
      .nullish(),
    token_ids: z.array(z.number().int()).nullish(),
  })
  .loose();

const UsageWireSchema = z
  .object({ prompt_tokens: z.number().nullish(), completion_tokens: z.number().nullish(), cost: z.number().nullish() })
  .loose();

/** The zod contract of a chat-completion body (exported for the fast path's equivalence test). */
export const ChatCompletionSchema = z
  .object({
    model: z.string().nullish(),
    choices: z.array(ChatChoiceSchema).min(1),
    usage: UsageWireSchema.nullish(),
    prompt_token_ids: z.array(z.number().int()).nullish(),
  })
  .loose();

const CompletionSchema = z
  .object({
    model: z.string().nullish(),
    choices: z
      .array(
        z
          .object({
            index: z.number().int().optional(),
            text: z.string().nullish(),
            finish_reason: z.string().nullish(),
            token_ids: z.array(z.number().int()).nullish(),
            prompt_token_ids: z.array(z.number().int()).nullish(),
            logprobs: z
              .object({
                tokens: z.array(z.string()).nullish(),
                token_logprobs: z.array(z.number().nullable()).nullish(),
              })
              .loose()
              .nullish(),
          })
          .loose(),
      )
      .min(1),
    usage: UsageWireSchema.nullish(),
    prompt_token_ids: z.array(z.number().int()).nullish(),
  })
  .loose();

type ChatCompletion = z.infer<typeof ChatCompletionSchema>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isOptionalString(value: unknown): boolean {
  return value === undefined || value === null || typeof value === "string";
}

function isOptionalNumber(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === "number" && Number.isFinite(value));
}

function isOptionalIntegerArray(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (!Array.isArray(value)) return false;
  for (const item of value) if (!Number.isSafeInteger(item)) return false;
  return true;
}

function isOptionalToolCallArray(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (!Array.isArray(value)) return false;
  for (const call of value) {
    if (!isRecord(call) || !isOptionalString(call.id) || !isOptionalString(call.type)) return false;
    const fn = call.function;
    if (!isRecord(fn) || typeof fn.name !== "string" || !isOptionalString(fn.arguments)) return false;
  }
  return true;
}

/**
 * The common chat-completion body checked by hand: a subset of what `ChatCompletionSchema` accepts, checked
 * field by field against the same rules, returned as is (the client only reads the schema's fields). Anything
 * else (logprobs, an odd field) returns undefined and goes through the zod schema, which also words the error.
 * The zod parse of a whole reply cost more client CPU per agent step than the rest of the agent loop
 * (bench/agent-throughput.ts).
 */
export function readCommonChatCompletion(raw: unknown): ChatCompletion | undefined {
  if (!isRecord(raw) || !isOptionalString(raw.model) || !isOptionalIntegerArray(raw.prompt_token_ids)) return undefined;
  const usage = raw.usage;
  if (usage !== undefined && usage !== null) {
    if (!isRecord(usage)) return undefined;
    if (!isOptionalNumber(usage.prompt_tokens) || !isOptionalNumber(usage.completion_tokens)) return undefined;
    if (!isOptionalNumber(usage.cost)) return undefined;
  }
  const choices = raw.choices;
  if (!Array.isArray(choices) || choices.length === 0) return undefined;
  for (const choice of choices) {
    if (!isRecord(choice)) return undefined;
    if (choice.index !== undefined && !Number.isSafeInteger(choice.index)) return undefined;
    if (!isOptionalString(choice.finish_reason) || !isOptionalIntegerArray(choice.token_ids)) return undefined;
    if (choice.logprobs !== undefined && choice.logprobs !== null) return undefined;
    const message = choice.message;
    if (!isRecord(message) || !isOptionalString(message.content)) return undefined;
    if (!isOptionalString(message.reasoning_content) || !isOptionalString(message.reasoning)) return undefined;
    if (!isOptionalToolCallArray(message.tool_calls)) return undefined;
  }
  return raw as ChatCompletion;
}

/** `token_id:123` → 123 (vLLM `return_tokens_as_token_ids`); otherwise undefined. */
export function tokenIdFromString(token: string): number | undefined {
  const match = /^token_id:(-?\d+)$/.exec(token);
  return match ? Number(match[1]) : undefined;
}

/** OpenAI wire messages from drkit chat messages. */
export function toWireMessages(messages: ChatMessage[]): Record<string, unknown>[] {
  return messages.map((message) => {
    const wire: Record<string, unknown> = { role: message.role, content: message.content };
    if (message.role === "assistant" && message.toolCalls && message.toolCalls.length > 0) {
      wire.tool_calls = message.toolCalls.map((call) => ({
        id: call.id,
        type: "function",
        function: {
          name: call.name,
          arguments: call.raw ?? JSON.stringify(call.arguments ?? {}),
        },
      }));
      if (message.content === "") wire.content = null;
    }
    if (message.role === "tool" && message.toolCallId) wire.tool_call_id = message.toolCallId;
    if (message.name && message.role !== "tool") wire.name = message.name;
    return wire;
  });
}

function parseArguments(raw: string): unknown {
  if (raw.trim() === "") return {};
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

function toToolCalls(wire: z.infer<typeof ToolCallWireSchema>[] | null | undefined): ToolCall[] {
  return (wire ?? []).map((call, index) => {
    const raw = call.function.arguments ?? "";
    return { id: call.id ?? `call_${index}`, name: call.function.name, arguments: parseArguments(raw), raw };
  });
}

/** The parts of an HTTP response the client reads (undici `request` result). */
interface HttpReply {
  status: number;
  header(name: string): string | undefined;
  body: Dispatcher.ResponseData["body"];
}

async function errorFromResponse(response: HttpReply, url: string): Promise<ProviderError> {
  let detail = "";
  try {
    const text = await response.body.text();
    try {
      const json = JSON.parse(text) as { error?: { message?: string } | string; message?: string };
      detail =
        typeof json.error === "string" ? json.error : (json.error?.message ?? json.message ?? text.slice(0, 500));
    } catch {
      detail = text.slice(0, 500);
    }
  } catch {
    // body unreadable: keep the status only
  }
  const retryAfterMs = parseRetryAfter(response.header("retry-after"));
  const hint =
    response.status === 401 || response.status === 403
      ? " (check the API key: --api-key, DRKIT_API_KEY or OPENAI_API_KEY)"
      : response.status === 404
        ? " (check the base URL, which usually ends in /v1, and the model name)"
        : "";
  return new ProviderError(`${url} answered HTTP ${response.status}${detail ? `: ${detail}` : ""}${hint}`, {
    status: response.status,
    retryAfterMs,
    retryable: isRetryableStatus(response.status),
  });
}

/** Read an SSE body, calling `onData` with the parsed JSON of each `data:` event until `[DONE]`. */
async function readServerSentEvents(body: AsyncIterable<Uint8Array>, onData: (data: unknown) => void): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = "";
  const flushEvent = (event: string) => {
    const data = event
      .split(/\r?\n/)
      .filter((line) => line.startsWith("data:"))
      .map((line) => line.slice(5).replace(/^ /, ""))
      .join("\n");
    if (data === "" || data === "[DONE]") return data === "[DONE]";
    onData(JSON.parse(data));
    return false;
  };
  for await (const part of body) {
    buffer += decoder.decode(part, { stream: true });
    let boundary = buffer.search(/\r?\n\r?\n/);
    while (boundary !== -1) {
      const event = buffer.slice(0, boundary);
      const match = /\r?\n\r?\n/.exec(buffer.slice(boundary)) as RegExpExecArray;
      buffer = buffer.slice(boundary + match[0].length);
      if (flushEvent(event)) return;
      boundary = buffer.search(/\r?\n\r?\n/);
    }
  }
  if (buffer.trim() !== "") flushEvent(buffer);
}

interface ChatAccumulator {
  text: string;
  reasoning: string;
  toolCalls: Map<number, { id?: string; name: string; arguments: string }>;
  finishReason: string;
  tokenIds: number[];
  logprobs: number[];
  logprobTokens: string[];
  sawTokenIds: boolean;
  sawLogprobs: boolean;
  promptTokenIds: number[] | undefined;
  usage: z.infer<typeof UsageWireSchema> | undefined;
  model: string | undefined;
}

const StreamChunkSchema = z
  .object({
    model: z.string().nullish(),
    choices: z
      .array(
        z
          .object({
            index: z.number().int().optional(),
            delta: z
              .object({
                content: z.string().nullish(),
                reasoning_content: z.string().nullish(),
                reasoning: z.string().nullish(),
                tool_calls: z
                  .array(
                    z.object({
                      index: z.number().int().optional(),
                      id: z.string().nullish(),
                      function: z.object({ name: z.string().nullish(), arguments: z.string().nullish() }).nullish(),
                    }),
                  )
                  .nullish(),
              })
              .loose()
              .nullish(),
            finish_reason: z.string().nullish(),
            logprobs: z
              .object({ content: z.array(LogprobContentSchema).nullish() })
              .loose()
              .nullish(),
            token_ids: z.array(z.number().int()).nullish(),
          })
          .loose(),
      )
      .default([]),
    usage: UsageWireSchema.nullish(),
    prompt_token_ids: z.array(z.number().int()).nullish(),
  })
  .loose();

/**
 * The abort scope of one HTTP try: the caller's signal plus the per-try timeout. With drkit's own dispatcher the
 * timeout is undici's `headersTimeout` / `bodyTimeout` (no per-call timer or AbortController); with a
 * user-supplied dispatcher a timer and a controller enforce it.
 */
class TryScope {
  private readonly controller: AbortController | undefined;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly onAbort = () => this.controller?.abort();
  timedOut = false;
  response: HttpReply | undefined;

  constructor(
    timeoutMs: number | undefined,
    private readonly outer: AbortSignal | undefined,
  ) {
    if (timeoutMs === undefined) return;
    const controller = new AbortController();
    this.controller = controller;
    this.timer = setTimeout(() => {
      this.timedOut = true;
      controller.abort();
    }, timeoutMs);
    if (outer) {
      if (outer.aborted) controller.abort();
      else outer.addEventListener("abort", this.onAbort, { once: true });
    }
  }

  get signal(): AbortSignal | undefined {
    return this.controller?.signal ?? this.outer;
  }

  get cancelled(): boolean {
    return this.outer?.aborted === true;
  }

  /** Record undici's own timeout errors. */
  noteError(error: unknown): void {
    const code = (error as { code?: string } | undefined)?.code;
    if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") this.timedOut = true;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.controller) this.outer?.removeEventListener("abort", this.onAbort);
  }
}

export class OpenAICompatibleChatModel implements ChatModel, TokenCompletionModel {
  readonly name: string;
  private readonly limiter: RequestLimiter;
  private readonly retryPolicy: RetryPolicy;
  private readonly baseUrl: string;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly origin: string;
  private readonly basePath: string;

  constructor(readonly options: OpenAICompatibleOptions) {
    if (!options.baseUrl) throw new ConfigError("the model endpoint needs a base URL (--base-url or OPENAI_BASE_URL)");
    if (!options.model) throw new ConfigError("the model endpoint needs a model name (--model or DRKIT_MODEL)");
    this.name = options.model;
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.limiter = new RequestLimiter(options.concurrency ?? 8);
    this.retryPolicy = {
      maxRetries: options.maxRetries ?? 6,
      baseDelayMs: options.retryBaseDelayMs ?? 500,
      maxDelayMs: options.retryMaxDelayMs ?? 30_000,
    };
    const parsed = new URL(this.baseUrl);
    this.origin = parsed.origin;
    this.basePath = parsed.pathname.replace(/\/+$/, "");
    this.ownsDispatcher = options.dispatcher === undefined;
    // undici's request API costs a fraction of fetch's CPU per call (bench/agent-throughput.ts).
    this.dispatcher =
      options.dispatcher ??
      new Agent({
        connections: Math.max(16, (options.concurrency ?? 8) * 2),
        headersTimeout: options.timeoutMs ?? 300_000,
        bodyTimeout: options.timeoutMs ?? 300_000,
      });
  }

  /** The JSON body sent to `/chat/completions` for a request (exposed for tests and the cache key). */
  chatBody(request: ChatRequest): Record<string, unknown> {
    const options = this.options;
    const body: Record<string, unknown> = {
      model: request.model ?? options.model,
      messages: toWireMessages(request.messages),
    };
    const temperature = request.temperature ?? options.temperature;
    const topP = request.topP ?? options.topP;
    const maxTokens = request.maxTokens ?? options.maxTokens;
    if (temperature !== undefined) body.temperature = temperature;
    if (topP !== undefined) body.top_p = topP;
    if (maxTokens !== undefined) body.max_tokens = maxTokens;
    if (request.seed !== undefined) body.seed = request.seed;
    if (request.presencePenalty !== undefined) body.presence_penalty = request.presencePenalty;
    if (request.stop && request.stop.length > 0) body.stop = request.stop;
    if (request.tools && request.tools.length > 0) {
      body.tools = functionTools(request.tools);
      if (request.toolChoice) body.tool_choice = request.toolChoice;
    }
    if (request.responseFormat === "json") body.response_format = { type: "json_object" };
    if (request.tokenIds ?? options.tokenIds) {
      body.logprobs = true;
      body.return_tokens_as_token_ids = true;
      body.return_token_ids = true;
      // Token ids of a turn must include the stop string's tokens, or the next prompt would not extend them.
      if (request.stop && request.stop.length > 0) body.include_stop_str_in_output = true;
    }
    if (request.stream) {
      body.stream = true;
      body.stream_options = { include_usage: true };
    }
    return { ...body, ...(request.extraBody ?? {}) };
  }

  async complete(request: ChatRequest, signal?: AbortSignal): Promise<ChatResponse> {
    const body = this.chatBody(request);
    const cacheKey = { url: `${this.baseUrl}/chat/completions`, body, salt: request.cacheSalt };
    const cached = this.options.cache?.get<ChatResponse>("chat", cacheKey);
    if (cached) return { ...cached, cached: true, costUsd: 0 };
    const response = await this.limiter.run(() =>
      withRetries(() => this.chatOnce(body, request, signal), this.retryPolicy, signal, this.options.onRetry),
    );
    this.options.cache?.set("chat", cacheKey, response);
    return response;
  }

  async completeTokens(request: TokenCompletionRequest, signal?: AbortSignal): Promise<TokenCompletionResponse> {
    const body: Record<string, unknown> = {
      model: request.model ?? this.options.model,
      prompt: request.promptIds,
      logprobs: 1,
      return_token_ids: true,
      return_tokens_as_token_ids: true,
      skip_special_tokens: false,
      include_stop_str_in_output: true,
    };
    const maxTokens = request.maxTokens ?? this.options.maxTokens;
    if (maxTokens !== undefined) body.max_tokens = maxTokens;
    const temperature = request.temperature ?? this.options.temperature;
    if (temperature !== undefined) body.temperature = temperature;
    const topP = request.topP ?? this.options.topP;
    if (topP !== undefined) body.top_p = topP;
    if (request.seed !== undefined) body.seed = request.seed;
    if (request.stop && request.stop.length > 0) body.stop = request.stop;
    if (request.stopTokenIds && request.stopTokenIds.length > 0) body.stop_token_ids = request.stopTokenIds;
    if (request.n !== undefined && request.n !== 1) body.n = request.n;
    Object.assign(body, request.extraBody ?? {});
    return this.limiter.run(() =>
      withRetries(
        async () => {
          const json = CompletionSchema.parse(await this.postJson("/completions", body, signal));
          const samples = [...json.choices]
            .sort((a, b) => (a.index ?? 0) - (b.index ?? 0))
            .map((choice) => {
              const tokens = choice.logprobs?.tokens ?? [];
              const fromStrings = tokens.map(tokenIdFromString);
              const tokenIds =
                choice.token_ids ??
                (fromStrings.every((id) => id !== undefined) ? (fromStrings as number[]) : undefined);
              if (!tokenIds)
                throw new ProviderError(
                  `${this.baseUrl}/completions returned no token ids; serve with vLLM ≥ 0.10.2 (return_token_ids) or --return-tokens-as-token-ids`,
                );
              return {
                text: choice.text ?? "",
                tokenIds,
                logprobs: (choice.logprobs?.token_logprobs ?? []).map((value) => value ?? 0),
                finishReason: choice.finish_reason ?? "stop",
              };
            });
          const promptTokenIds = json.prompt_token_ids ?? json.choices[0]?.prompt_token_ids ?? request.promptIds;
          const usage = {
            promptTokens: json.usage?.prompt_tokens ?? request.promptIds.length,
            completionTokens:
              json.usage?.completion_tokens ?? samples.reduce((sum, sample) => sum + sample.tokenIds.length, 0),
          };
          return { samples, promptTokenIds, usage, costUsd: this.cost(usage, json.usage?.cost) };
        },
        this.retryPolicy,
        signal,
        this.options.onRetry,
      ),
    );
  }

  private cost(usage: { promptTokens: number; completionTokens: number }, reported?: number | null): number {
    if (this.options.price) return costOf(usage.promptTokens, usage.completionTokens, this.options.price);
    return reported ?? 0;
  }

  /**
   * One HTTP try with the per-try timeout (one AbortController and timer, cheaper than AbortSignal.timeout +
   * AbortSignal.any); network failures and timeouts become retryable ProviderErrors. Call `dispose` once the
   * body has been read.
   */
  private async post(path: string, body: Record<string, unknown>, signal?: AbortSignal): Promise<TryScope> {
    const url = `${this.baseUrl}${path}`;
    const timeoutMs = this.options.timeoutMs ?? 300_000;
    // undici's timeouts tick coarsely (about a second): short timeouts and foreign dispatchers use a precise timer.
    const scope = new TryScope(this.ownsDispatcher && timeoutMs >= 5_000 ? undefined : timeoutMs, signal);
    const headers: Record<string, string> = { "content-type": "application/json", ...(this.options.headers ?? {}) };
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    try {
      const reply = await this.dispatcher.request({
        origin: this.origin,
        path: `${this.basePath}${path}`,
        method: "POST",
        headers,
        body: JSON.stringify(body),
        signal: scope.signal,
      });
      const replyHeaders = reply.headers;
      scope.response = {
        status: reply.statusCode,
        header: (name) => {
          const value = replyHeaders[name];
          return Array.isArray(value) ? value[0] : value;
        },
        body: reply.body,
      };
    } catch (error) {
      scope.dispose();
      throw this.transportError(error, url, scope);
    }
    if (scope.response.status < 200 || scope.response.status >= 300) {
      try {
        throw await errorFromResponse(scope.response, url);
      } finally {
        scope.dispose();
      }
    }
    return scope;
  }

  /** Close the client's connections. */
  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  private transportError(error: unknown, url: string, scope: TryScope) {
    scope.noteError(error);
    if (scope.cancelled) return new CancelledError();
    if (scope.timedOut)
      return new ProviderError(`${url} did not answer within ${this.options.timeoutMs ?? 300_000} ms`, {
        retryable: true,
      });
    const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
    const reason =
      (error as { code?: string })?.code ?? cause?.code ?? cause?.message ?? (error as Error)?.message ?? String(error);
    return new ProviderError(
      `cannot reach ${url} (${reason}); is the model server running?`,
      { retryable: reason !== "bad port" },
      { cause: error },
    );
  }

  private async postJson(path: string, body: Record<string, unknown>, signal?: AbortSignal): Promise<unknown> {
    const scope = await this.post(path, body, signal);
    let text: string;
    try {
      text = await (scope.response as HttpReply).body.text();
    } catch (error) {
      throw this.transportError(error, `${this.baseUrl}${path}`, scope);
    } finally {
      scope.dispose();
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new ProviderError(`${this.baseUrl}${path} returned invalid JSON: ${text.slice(0, 200)}`, {
        retryable: true,
      });
    }
  }

  private async chatOnce(body: Record<string, unknown>, request: ChatRequest, signal?: AbortSignal) {
    const url = `${this.baseUrl}/chat/completions`;
    if (body.stream === true) return this.chatStream(body, request, signal);
    const raw = await this.postJson("/chat/completions", body, signal);
    let json = readCommonChatCompletion(raw);
    if (!json) {
      const parsed = ChatCompletionSchema.safeParse(raw);
      if (!parsed.success)
        throw new ProviderError(`${url} returned an unexpected body: ${parsed.error.issues[0]?.message ?? ""}`, {
          retryable: false,
        });
      json = parsed.data;
    }
    const choice =
      json.choices.length === 1
        ? json.choices[0]!
        : [...json.choices].sort((a, b) => (a.index ?? 0) - (b.index ?? 0))[0]!;
    const logprobContent = choice.logprobs?.content ?? undefined;
    return this.finish(
      {
        text: choice.message.content ?? "",
        reasoning: choice.message.reasoning_content ?? choice.message.reasoning ?? "",
        toolCalls: toToolCalls(choice.message.tool_calls),
        finishReason: choice.finish_reason ?? "stop",
        tokenIds: choice.token_ids ?? [],
        sawTokenIds: Array.isArray(choice.token_ids),
        logprobs: (logprobContent ?? []).map((entry) => entry.logprob),
        logprobTokens: (logprobContent ?? []).map((entry) => entry.token),
        sawLogprobs: Array.isArray(logprobContent),
        promptTokenIds: json.prompt_token_ids ?? undefined,
        usage: json.usage ?? undefined,
        model: json.model ?? undefined,
      },
      request,
    );
  }

  private async chatStream(body: Record<string, unknown>, request: ChatRequest, signal?: AbortSignal) {
    const url = `${this.baseUrl}/chat/completions`;
    const scope = await this.post("/chat/completions", body, signal);
    const response = scope.response as HttpReply;
    const state: ChatAccumulator = {
      text: "",
      reasoning: "",
      toolCalls: new Map(),
      finishReason: "stop",
      tokenIds: [],
      logprobs: [],
      logprobTokens: [],
      sawTokenIds: false,
      sawLogprobs: false,
      promptTokenIds: undefined,
      usage: undefined,
      model: undefined,
    };
    if (!response.body) {
      scope.dispose();
      throw new ProviderError(`${url} sent an empty stream`, { retryable: true });
    }
    try {
      await readServerSentEvents(response.body, (data) => {
        const chunk = StreamChunkSchema.parse(data);
        if (chunk.model) state.model = chunk.model;
        if (chunk.usage) state.usage = chunk.usage;
        if (chunk.prompt_token_ids) state.promptTokenIds = chunk.prompt_token_ids;
        for (const choice of chunk.choices) {
          if ((choice.index ?? 0) !== 0) continue;
          const delta = choice.delta;
          const text = delta?.content ?? "";
          const reasoning = delta?.reasoning_content ?? delta?.reasoning ?? "";
          if (text) state.text += text;
          if (reasoning) state.reasoning += reasoning;
          if ((text || reasoning) && request.onDelta)
            request.onDelta({ ...(text ? { text } : {}), ...(reasoning ? { reasoning } : {}) });
          for (const call of delta?.tool_calls ?? []) {
            const index = call.index ?? 0;
            const existing = state.toolCalls.get(index) ?? { name: "", arguments: "" };
            if (call.id) existing.id = call.id;
            if (call.function?.name) existing.name += call.function.name;
            if (call.function?.arguments) existing.arguments += call.function.arguments;
            state.toolCalls.set(index, existing);
          }
          if (choice.finish_reason) state.finishReason = choice.finish_reason;
          if (choice.token_ids) {
            state.sawTokenIds = true;
            state.tokenIds.push(...choice.token_ids);
          }
          if (choice.logprobs?.content) {
            state.sawLogprobs = true;
            for (const entry of choice.logprobs.content) {
              state.logprobs.push(entry.logprob);
              state.logprobTokens.push(entry.token);
            }
          }
        }
      });
    } catch (error) {
      if (error instanceof z.ZodError)
        throw new ProviderError(`${url} sent an unexpected stream chunk: ${error.issues[0]?.message ?? ""}`);
      if (error instanceof SyntaxError) throw new ProviderError(`${url} sent invalid JSON in its stream`);
      throw this.transportError(error, url, scope);
    } finally {
      scope.dispose();
    }
    const toolCalls = toToolCalls(
      [...state.toolCalls.entries()]
        .sort(([a], [b]) => a - b)
        .map(([index, call]) => ({
          id: call.id ?? `call_${index}`,
          type: "function",
          function: { name: call.name, arguments: call.arguments },
        })),
    );
    return this.finish(
      {
        text: state.text,
        reasoning: state.reasoning,
        toolCalls,
        finishReason: state.finishReason,
        tokenIds: state.tokenIds,
        sawTokenIds: state.sawTokenIds,
        logprobs: state.logprobs,
        logprobTokens: state.logprobTokens,
        sawLogprobs: state.sawLogprobs,
        promptTokenIds: state.promptTokenIds,
        usage: state.usage,
        model: state.model,
      },
      request,
    );
  }

  private finish(
    parts: {
      text: string;
      reasoning: string;
      toolCalls: ToolCall[];
      finishReason: string;
      tokenIds: number[];
      sawTokenIds: boolean;
      logprobs: number[];
      logprobTokens: string[];
      sawLogprobs: boolean;
      promptTokenIds: number[] | undefined;
      usage: z.infer<typeof UsageWireSchema> | undefined;
      model: string | undefined;
    },
    request: ChatRequest,
  ): ChatResponse {
    let tokenIds: number[] | undefined = parts.sawTokenIds ? parts.tokenIds : undefined;
    if (!tokenIds && parts.sawLogprobs && parts.logprobTokens.length > 0) {
      const fromStrings = parts.logprobTokens.map(tokenIdFromString);
      if (fromStrings.every((id) => id !== undefined)) tokenIds = fromStrings as number[];
    }
    const usage = {
      promptTokens: parts.usage?.prompt_tokens ?? 0,
      completionTokens: parts.usage?.completion_tokens ?? tokenIds?.length ?? 0,
    };
    const response: ChatResponse = {
      text: parts.text,
      toolCalls: parts.toolCalls,
      finishReason: parts.finishReason,
      usage,
      costUsd: this.cost(usage, parts.usage?.cost),
    };
    if (parts.reasoning) response.reasoning = parts.reasoning;
    if (tokenIds) response.tokenIds = tokenIds;
    if (parts.sawLogprobs) response.logprobs = parts.logprobs;
    if (parts.promptTokenIds) response.promptTokenIds = parts.promptTokenIds;
    if (parts.model) response.model = parts.model;
    void request;
    return response;
  }
}
