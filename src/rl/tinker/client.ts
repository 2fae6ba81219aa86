/**
 * A client for the Tinker API (JSON over HTTP, token level): SkyRL's open server (`skyrl/tinker/api.py`) and hosted
 * Tinker. Every training and sampling call returns a future that `retrieve_future` resolves; the server holds that
 * request up to its limit and answers 408 (ask again) or, hosted, `{"type": "try_again"}`.
 *
 * Retries: network failures and 5xx answers are retried with backoff for every call that is safe to repeat — reads,
 * `retrieve_future`, and calls with a `seq_id` (the server de-duplicates a repeated `(model, seq_id)` request and
 * returns its original future). 4xx answers become `TinkerError`s with the server's `detail`; 409 on a reused
 * `seq_id` and "maximum number of LoRA adapters reached" say what to do. The API key is sent as `X-API-Key` and
 * never logged or stored.
 */
import type { z } from "zod";
import { ProviderError } from "../../core/errors.js";
import { sleep, withRetries } from "../../llm/retry.js";
import {
  type AdamParams,
  CapabilitiesSchema,
  CreateModelSchema,
  CreateSessionSchema,
  type ForwardBackwardOutput,
  ForwardBackwardOutputSchema,
  FutureSchema,
  OptimStepOutputSchema,
  type SampleOutput,
  SampleOutputSchema,
  SaveWeightsForSamplerOutputSchema,
  SaveWeightsOutputSchema,
  type TinkerDatum,
  type TinkerLossFunction,
  type TinkerSamplingParams,
  TryAgainSchema,
} from "./wire.js";

/** A Tinker server answered with an error; `status` is the HTTP status, `detail` the server's words. */
export class TinkerError extends ProviderError {
  constructor(
    message: string,
    readonly detail: string,
    details: { status?: number; retryable?: boolean } = {},
  ) {
    super(message, details);
    this.name = "TinkerError";
  }
}

export interface TinkerClientOptions {
  /** e.g. `http://127.0.0.1:8000` (SkyRL) or the hosted service URL; `/api/v1` is appended. */
  baseUrl: string;
  apiKey?: string;
  /** Retries of a failed call that is safe to repeat. Default 5. */
  maxRetries?: number;
  /** First backoff step (doubles). Default 500 ms. */
  retryBaseDelayMs?: number;
  /** Per HTTP request timeout; retrieve_future is held up to 300 s by SkyRL. Default 330 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

function explain(status: number, detail: string, path: string): string {
  if (status === 409 && /sequence number/i.test(detail))
    return `${path}: the server already has a different request with this seq_id (${detail}); a resumed run starts a new model, so this means two clients share one model_id`;
  if (/maximum number of LoRA adapters/i.test(detail))
    return `${path}: ${detail} — unload models you no longer need (drkit unloads its own on exit) or start the server with a larger max_lora_adapters`;
  if (status === 401 || status === 403) return `${path}: ${detail} — check TINKER_API_KEY`;
  return `${path}: ${detail}`;
}

export class TinkerClient {
  private readonly root: string;

  constructor(private readonly options: TinkerClientOptions) {
    this.root = `${options.baseUrl.replace(/\/+$/, "").replace(/\/api\/v1$/, "")}/api/v1`;
  }

  /** One HTTP call, retried with backoff (`withRetries`) where safe; parsed JSON on 2xx, `{__timeout}` on 408. */
  private call(method: "GET" | "POST", path: string, body: unknown, retrySafe: boolean): Promise<unknown> {
    const policy = {
      maxRetries: retrySafe ? (this.options.maxRetries ?? 5) : 0,
      baseDelayMs: this.options.retryBaseDelayMs ?? 500,
    };
    return withRetries(() => this.attempt(method, path, body), policy, this.options.signal);
  }

  /** One try: network failures, 5xx and 429 are retryable TinkerErrors; other 4xx say what went wrong. */
  private async attempt(method: "GET" | "POST", path: string, body: unknown): Promise<unknown> {
    let response: Response;
    try {
      const signals = [AbortSignal.timeout(this.options.timeoutMs ?? 330_000)];
      if (this.options.signal) signals.push(this.options.signal);
      response = await fetch(`${this.root}${path}`, {
        method,
        headers: {
          "content-type": "application/json",
          accept: "application/json",
          ...(this.options.apiKey ? { "x-api-key": this.options.apiKey } : {}),
        },
        ...(method === "POST" ? { body: JSON.stringify(body ?? {}) } : {}),
        signal: AbortSignal.any(signals),
      });
    } catch (error) {
      if (this.options.signal?.aborted) throw error;
      throw new TinkerError(`${this.root}${path}: ${(error as Error).message}`, (error as Error).message, {
        retryable: true,
      });
    }
    const text = await response.text();
    if (response.ok) return text === "" ? null : JSON.parse(text);
    if (response.status === 408) return { __timeout: true };
    let detail = text;
    try {
      const parsed = JSON.parse(text) as { detail?: unknown };
      if (parsed.detail !== undefined)
        detail = typeof parsed.detail === "string" ? parsed.detail : JSON.stringify(parsed.detail);
    } catch {
      // not JSON: keep the text
    }
    const retryable = response.status >= 500 || response.status === 429;
    throw new TinkerError(explain(response.status, detail, path), detail, { status: response.status, retryable });
  }

  private parse<T extends z.ZodTypeAny>(schema: T, value: unknown, what: string): z.infer<T> {
    const parsed = schema.safeParse(value);
    if (!parsed.success)
      throw new TinkerError(
        `${what}: unexpected answer from the Tinker server (${parsed.error.issues[0]?.message ?? "bad shape"})`,
        JSON.stringify(value).slice(0, 200),
      );
    return parsed.data;
  }

  /** POST a call that answers with a future, then wait for its result. */
  private async future(path: string, body: Record<string, unknown>, retrySafe: boolean): Promise<unknown> {
    const answer = await this.call("POST", path, body, retrySafe);
    const { request_id: requestId } = this.parse(FutureSchema, answer, path);
    return this.retrieveFuture(requestId);
  }

  /** Wait for a future: 408 (held too long) and `try_again` are asked again; failures are TinkerErrors. */
  async retrieveFuture(requestId: string): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      const answer = (await this.call("POST", "/retrieve_future", { request_id: requestId }, true)) as Record<
        string,
        unknown
      > | null;
      if (answer && answer.__timeout === true) continue;
      if (TryAgainSchema.safeParse(answer).success) {
        await sleep(Math.min(5_000, 100 * 2 ** Math.min(attempt, 6)), this.options.signal);
        continue;
      }
      if (answer && typeof answer.error === "string" && answer.status === "failed")
        throw new TinkerError(`request ${requestId}: ${answer.error}`, answer.error, { status: 400 });
      return answer;
    }
  }

  async capabilities(): Promise<string[]> {
    const answer = this.parse(
      CapabilitiesSchema,
      await this.call("GET", "/get_server_capabilities", undefined, true),
      "get_server_capabilities",
    );
    return answer.supported_models.map((model) => model.model_name);
  }

  async createSession(tags: string[] = ["drkit"]): Promise<string> {
    const answer = await this.call(
      "POST",
      "/create_session",
      { tags, user_metadata: null, sdk_version: "drkit", type: "create_session" },
      false,
    );
    return this.parse(CreateSessionSchema, answer, "create_session").session_id;
  }

  async heartbeat(sessionId: string): Promise<void> {
    await this.call("POST", "/session_heartbeat", { session_id: sessionId, type: "session_heartbeat" }, true);
  }

  /** A LoRA training model on the base model; resolves once the server has created it. */
  async createModel(sessionId: string, baseModel: string, lora: { rank: number; seed?: number }): Promise<string> {
    const answer = await this.call(
      "POST",
      "/create_model",
      {
        session_id: sessionId,
        model_seq_id: 0,
        base_model: baseModel,
        lora_config: {
          rank: lora.rank,
          ...(lora.seed !== undefined ? { seed: lora.seed } : {}),
          train_unembed: true,
          train_mlp: true,
          train_attn: true,
        },
        type: "create_model",
      },
      false,
    );
    const created = this.parse(CreateModelSchema, answer, "create_model");
    if (created.request_id !== undefined) await this.retrieveFuture(created.request_id);
    return created.model_id;
  }

  async unloadModel(modelId: string): Promise<void> {
    await this.future("/unload_model", { model_id: modelId, type: "unload_model" }, true);
  }

  async sample(request: {
    prompt: readonly number[];
    numSamples: number;
    params: TinkerSamplingParams;
    /** Which weights: a sampling session (+ its seq_id), a `tinker://` path, or the base model. */
    source: { samplingSessionId: string; seqId: number } | { modelPath: string } | { baseModel: string };
  }): Promise<SampleOutput> {
    const source = request.source;
    const body: Record<string, unknown> = {
      num_samples: request.numSamples,
      prompt: { chunks: [{ type: "encoded_text", tokens: [...request.prompt] }] },
      sampling_params: request.params,
      topk_prompt_logprobs: 0,
      type: "sample",
    };
    if ("samplingSessionId" in source) {
      body.sampling_session_id = source.samplingSessionId;
      body.seq_id = source.seqId;
    } else if ("modelPath" in source) body.model_path = source.modelPath;
    else body.base_model = source.baseModel;
    return this.parse(SampleOutputSchema, await this.future("/asample", body, true), "asample");
  }

  async forward(
    modelId: string,
    data: TinkerDatum[],
    lossFn: TinkerLossFunction,
    seqId: number,
  ): Promise<ForwardBackwardOutput> {
    const body = { model_id: modelId, forward_input: { data, loss_fn: lossFn, loss_fn_config: null }, seq_id: seqId };
    return this.parse(ForwardBackwardOutputSchema, await this.future("/forward", body, true), "forward");
  }

  async forwardBackward(
    modelId: string,
    data: TinkerDatum[],
    lossFn: TinkerLossFunction,
    seqId: number,
    lossFnConfig: Record<string, number> | null = null,
  ): Promise<ForwardBackwardOutput> {
    const body = {
      model_id: modelId,
      forward_backward_input: { data, loss_fn: lossFn, loss_fn_config: lossFnConfig },
      seq_id: seqId,
    };
    return this.parse(
      ForwardBackwardOutputSchema,
      await this.future("/forward_backward", body, true),
      "forward_backward",
    );
  }

  async optimStep(modelId: string, adam: AdamParams, seqId: number): Promise<Record<string, number>> {
    const body = { model_id: modelId, adam_params: adam, seq_id: seqId, type: "optim_step" };
    return this.parse(OptimStepOutputSchema, await this.future("/optim_step", body, true), "optim_step").metrics ?? {};
  }

  /** Sampler weights: persistent under `path` (→ a `tinker://` path), or ephemeral (→ a sampling session id). */
  async saveWeightsForSampler(
    modelId: string,
    target: { path: string } | { samplingSessionSeqId: number },
    seqId: number,
  ): Promise<{ path?: string; samplingSessionId?: string }> {
    const body: Record<string, unknown> = { model_id: modelId, seq_id: seqId, type: "save_weights_for_sampler" };
    if ("path" in target) body.path = target.path;
    else body.sampling_session_seq_id = target.samplingSessionSeqId;
    const answer = this.parse(
      SaveWeightsForSamplerOutputSchema,
      await this.future("/save_weights_for_sampler", body, true),
      "save_weights_for_sampler",
    );
    return {
      ...(answer.path ? { path: answer.path } : {}),
      ...(answer.sampling_session_id ? { samplingSessionId: answer.sampling_session_id } : {}),
    };
  }

  /** Weights + optimizer state under `path`; returns the `tinker://…` path to load from. */
  async saveWeights(modelId: string, path: string, seqId: number): Promise<string> {
    const body = { model_id: modelId, path, seq_id: seqId, type: "save_weights" };
    return this.parse(SaveWeightsOutputSchema, await this.future("/save_weights", body, true), "save_weights").path;
  }

  /** Load a checkpoint (weights, and the optimizer state unless `optimizer` is false) into a fresh model: it must be the model's first request. */
  async loadWeights(modelId: string, path: string, seqId: number, optimizer = true): Promise<void> {
    await this.future(
      "/load_weights",
      { model_id: modelId, path, optimizer, seq_id: seqId, type: "load_weights" },
      true,
    );
  }
}
