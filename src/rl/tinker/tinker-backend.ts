/**
 * A Tinker-API server as drkit's `TrainingBackend` (SkyRL's open server on GPUs or CPU, or hosted Tinker): the
 * server owns the LoRA weights, the optimizer and sampling; drkit renders with the base model's chat template,
 * rolls out through the agent loop, computes advantages and losses.
 *
 * - Rollouts sample with `asample` on the current sampler weights: after every optimizer step a fresh ephemeral
 *   sampler (`save_weights_for_sampler`), so rollouts are on-policy; `samplerHistory` records one per step.
 * - Updates: drkit's loss gives d(loss)/d(logprob) per token, sent as `importance_sampling` advantages at ratio 1
 *   (π_old = the current logprobs from `forward`), scaled to undo the server's loss reduction, so any loss of drkit's
 *   registry trains the same way as in process; or the server's own `ppo` loss (`nativePolicyLoss`).
 * - Checkpoints: `save_weights` (weights + Adam state) as `drkit-step-N-…`; its `tinker://` path is written to the
 *   checkpoint directory, and a resumed run loads it into a fresh model (load_weights must be a model's first call).
 * - A heartbeat every 60 s keeps the session's models loaded (SkyRL unloads them after 300 s without one).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";
import type { TokenPath } from "../../agent/token-session.js";
import { DataError, InputError, TrainingError } from "../../core/errors.js";
import type { ChatTemplate } from "../../llm/chat-template.js";
import type { TokenSample, TokenSampleRequest, TokenSampler } from "../../llm/token-sampler.js";
import type { BackwardResult, OptimizerStepResult, SequenceScores, TokenWeights } from "../policy/policy.js";
import type { NativePolicyLossInput, TrainingBackend } from "../policy/training-backend.js";
import type { TinkerClient } from "./client.js";
import type { AdamParams, ForwardBackwardOutput, TinkerDatum } from "./wire.js";

export interface TinkerBackendOptions {
  client: TinkerClient;
  /** The server's base model (a hub id or a local path, as the server was started with). */
  baseModel: string;
  template: ChatTemplate;
  loraRank: number;
  /** Seed of the LoRA initialisation. */
  seed?: number;
  learningRate: number;
  adam?: Partial<Omit<AdamParams, "learning_rate">>;
  topP?: number;
  /** A checkpoint of this run to resume from (weights and Adam state). */
  resume?: TinkerCheckpoint;
  /**
   * How the server reduces a forward_backward loss: `sequence-mean` (SkyRL's JAX backend: each sequence's sum over
   * its weight sum, gradients averaged over sequences) or `sum` (the Tinker SDK's documented Σ over tokens). drkit
   * scales what it sends so the gradient is its own loss's either way. Default `sequence-mean`.
   */
  lossReduction?: "sequence-mean" | "sum";
  /** Another run's checkpoint to start from (weights only, fresh optimizer), e.g. an SFT run (`--init`). */
  init?: TinkerCheckpoint;
  heartbeatMs?: number;
}

/** What a drkit checkpoint directory records about the server-side state (`tinker.json`). */
export interface TinkerCheckpoint {
  baseModel: string;
  loraRank: number;
  /** `tinker://…` path of weights + optimizer state (save_weights). */
  weightsPath: string;
  /** Optimizer steps taken when it was saved. */
  steps: number;
}

/** Next-token alignment: input = ids[:-1], targets = ids[1:], one value per target position. */
export function toDatum(ids: readonly number[], inputs: Record<string, ArrayLike<number>>): TinkerDatum {
  const targets = ids.slice(1);
  const lossInputs: TinkerDatum["loss_fn_inputs"] = {
    target_tokens: { data: targets, dtype: "int64", shape: [targets.length] },
  };
  for (const [name, values] of Object.entries(inputs)) {
    const data = Array.from({ length: targets.length }, (_, position) => Number(values[position + 1] ?? 0));
    lossInputs[name] = { data, dtype: "float32", shape: [targets.length] };
  }
  return { model_input: { chunks: [{ type: "encoded_text", tokens: ids.slice(0, -1) }] }, loss_fn_inputs: lossInputs };
}

/**
 * Target logprobs of each datum, back in drkit's alignment (entry t scores ids[t]; entry 0 is 0), as scores (the
 * server returns no entropy: zeros).
 */
function scoresOf(output: ForwardBackwardOutput, sequences: readonly (readonly number[])[]): SequenceScores[] {
  return sequences.map((ids, row) => {
    const values = output.loss_fn_outputs[row]?.logprobs?.data;
    if (!values || values.length !== ids.length - 1)
      throw new TrainingError(
        `the Tinker server returned ${values?.length ?? 0} logprobs for a sequence of ${ids.length} tokens`,
      );
    const logprobs = new Float32Array(ids.length);
    logprobs.set(values, 1);
    return { logprobs, entropy: new Float32Array(ids.length) };
  });
}

class TinkerSampler implements TokenSampler {
  readonly name: string;
  private seq = 0;

  constructor(
    private readonly client: TinkerClient,
    private readonly template: ChatTemplate,
    private readonly source: { samplingSessionId: string } | { baseModel: string } | { modelPath: string },
    readonly label: string,
    private readonly topP: number,
  ) {
    this.name = label;
  }

  async sample(request: TokenSampleRequest): Promise<TokenSample> {
    // SkyRL takes stop strings or stop ids, not both: with protocol stop strings the eos tokens go as their text.
    const ids = request.stopTokenIds ?? [];
    const strings = request.stop ?? [];
    const stop =
      strings.length > 0
        ? [...strings, ...ids.map((id) => this.template.tokenText(id)).filter((text): text is string => !!text)]
        : [...ids];
    const source = this.source;
    const output = await this.client.sample({
      prompt: request.promptIds,
      numSamples: 1,
      params: {
        max_tokens: request.maxTokens,
        temperature: request.temperature ?? 1,
        top_p: request.topP ?? this.topP,
        top_k: -1,
        // SkyRL keeps seeds in int32.
        ...(request.seed !== undefined ? { seed: request.seed % 2_147_483_647 } : {}),
        ...(stop.length > 0 ? { stop: stop as string[] | number[] } : {}),
      },
      source:
        "samplingSessionId" in source ? { samplingSessionId: source.samplingSessionId, seqId: this.seq++ } : source,
    });
    const sequence = output.sequences[0];
    if (!sequence) return { tokenIds: [], logprobs: [], finishReason: "length" };
    return {
      tokenIds: sequence.tokens,
      logprobs: sequence.logprobs ?? sequence.tokens.map(() => 0),
      finishReason: sequence.stop_reason === "stop" ? "stop" : "length",
    };
  }
}

export class TinkerBackend implements TrainingBackend {
  readonly name = "tinker";
  readonly hasCritic = false;
  /** The sampler used for each rollout phase: `base`, `tinker://…` or the ephemeral sampling session id. */
  readonly samplerHistory: string[] = [];
  private learningRate: number;
  private seq = 1;
  private samplingSessions = 0;
  private steps: number;
  private sampler: TinkerSampler;
  private heartbeat: NodeJS.Timeout | undefined;
  private lastScores: { sequences: readonly (readonly number[])[]; logprobs: Float32Array[] } | undefined;

  private constructor(
    private readonly options: TinkerBackendOptions,
    readonly sessionId: string,
    readonly modelId: string,
  ) {
    this.learningRate = options.learningRate;
    this.steps = options.resume?.steps ?? 0;
    this.sampler = new TinkerSampler(
      options.client,
      options.template,
      { baseModel: options.baseModel },
      "base",
      options.topP ?? 1,
    );
  }

  /** Open a session, create the LoRA model (loading a checkpoint when resuming) and its first sampler. */
  static async start(options: TinkerBackendOptions): Promise<TinkerBackend> {
    const client = options.client;
    const served = await client.capabilities();
    if (served.length > 0 && !served.includes(options.baseModel))
      throw new InputError(
        `the Tinker server does not serve base model "${options.baseModel}"; it serves: ${served.join(", ")} (pass one of them to --base-model)`,
      );
    const sessionId = await client.createSession(["drkit"]);
    const modelId = await client.createModel(sessionId, options.baseModel, {
      rank: options.loraRank,
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
    });
    const backend = new TinkerBackend(options, sessionId, modelId);
    backend.heartbeat = setInterval(() => {
      client.heartbeat(sessionId).catch(() => undefined);
    }, options.heartbeatMs ?? 60_000);
    backend.heartbeat.unref();
    const start = options.resume ?? options.init;
    if (start) {
      await client.loadWeights(modelId, start.weightsPath, backend.seq++, options.resume !== undefined);
      await backend.refreshSampler();
    }
    return backend;
  }

  /** A fresh ephemeral sampler on the current weights. */
  private async refreshSampler(): Promise<void> {
    const saved = await this.options.client.saveWeightsForSampler(
      this.modelId,
      { samplingSessionSeqId: this.samplingSessions++ },
      this.seq++,
    );
    if (!saved.samplingSessionId)
      throw new TrainingError("save_weights_for_sampler returned no sampling session id; is this a Tinker server?");
    this.sampler = new TinkerSampler(
      this.options.client,
      this.options.template,
      { samplingSessionId: saved.samplingSessionId },
      saved.samplingSessionId,
      this.options.topP ?? 1,
    );
  }

  async tokenPath(): Promise<TokenPath> {
    this.samplerHistory.push(this.sampler.label);
    return { sampler: this.sampler, template: this.options.template };
  }

  get template(): ChatTemplate {
    return this.options.template;
  }

  async score(sequences: readonly (readonly number[])[]): Promise<SequenceScores[]> {
    const data = sequences.map((ids) => toDatum(ids, { weights: new Float32Array(ids.length).fill(0) }));
    const output = await this.options.client.forward(this.modelId, data, "cross_entropy", this.seq++);
    const scores = scoresOf(output, sequences);
    this.lastScores = { sequences, logprobs: scores.map((score) => score.logprobs) };
    return scores;
  }

  /** Current logprobs of `sequences`: from the `score` call just made on them, else a `forward`. */
  private async currentLogprobs(sequences: readonly (readonly number[])[]): Promise<Float32Array[]> {
    if (this.lastScores?.sequences === sequences) return this.lastScores.logprobs;
    return (await this.score(sequences)).map((score) => score.logprobs);
  }

  /**
   * Per-sequence factors that undo the server's reduction: with `sequence-mean` (SkyRL's JAX backend) each
   * sequence's summed loss is divided by its weight sum and the gradient by the number of sequences, so the
   * values sent are multiplied by (trained tokens of the sequence) × (sequences).
   */
  private reductionFactors(masks: readonly ArrayLike<number>[]): number[] {
    if ((this.options.lossReduction ?? "sequence-mean") === "sum") return masks.map(() => 1);
    return masks.map((mask) => {
      let tokens = 0;
      for (let t = 1; t < mask.length; t++) tokens += mask[t] as number;
      return tokens * masks.length;
    });
  }

  /**
   * Accumulate the gradient of Σ weights·logprob. The server differentiates `importance_sampling` at ratio 1
   * (π_old = the current logprobs), whose per-token derivative is −advantage: advantage = −d(loss)/d(logprob),
   * weight 1 on every token with a derivative, scaled to undo the server's reduction. (A `cross_entropy` loss with
   * signed weights would do under a plain sum, but SkyRL divides each sequence by its weight sum, which for
   * GRPO's balanced advantages is about 0.)
   */
  async backward(sequences: readonly (readonly number[])[], weights: readonly TokenWeights[]): Promise<BackwardResult> {
    for (const weight of weights)
      if (weight.entropy && Array.from(weight.entropy).some((value) => value !== 0))
        throw new TrainingError(
          "the Tinker backend cannot train an entropy bonus (the server returns logprobs only); use --entropy-coeff 0",
        );
    const current = await this.currentLogprobs(sequences);
    const masks = sequences.map((ids, row) => {
      const gradient = weights[row]?.logprob ?? [];
      return Float32Array.from({ length: ids.length }, (_, t) => (t > 0 && (gradient[t] ?? 0) !== 0 ? 1 : 0));
    });
    const factors = this.reductionFactors(masks);
    const data = sequences.map((ids, row) => {
      const gradient = weights[row]?.logprob ?? [];
      const factor = factors[row] as number;
      return toDatum(ids, {
        advantages: Array.from({ length: ids.length }, (_, t) => -(gradient[t] ?? 0) * factor),
        logprobs: current[row] ?? [],
        weights: masks[row] ?? [],
      });
    });
    const output = await this.options.client.forwardBackward(this.modelId, data, "importance_sampling", this.seq++);
    const scores = scoresOf(output, sequences);
    let objective = 0;
    scores.forEach((score, row) => {
      const gradient = weights[row]?.logprob ?? [];
      for (let t = 1; t < score.logprobs.length; t++) objective += (gradient[t] ?? 0) * (score.logprobs[t] as number);
    });
    return { objective, scores };
  }

  /** SkyRL / Tinker `ppo` (or `importance_sampling`) with drkit's scaled advantages; one call, no forward first. */
  async nativePolicyLoss(input: NativePolicyLossInput): Promise<SequenceScores[]> {
    const factors = this.reductionFactors(input.mask);
    const data = input.sequences.map((ids, row) => {
      const advantages = input.advantages[row] ?? [];
      const factor = factors[row] as number;
      return toDatum(ids, {
        advantages: Array.from({ length: ids.length }, (_, t) => (advantages[t] ?? 0) * factor),
        logprobs: input.samplerLogprobs[row] ?? [],
        weights: input.mask[row] ?? [],
      });
    });
    const output = await this.options.client.forwardBackward(
      this.modelId,
      data,
      input.clip ? "ppo" : "importance_sampling",
      this.seq++,
      input.clip ? { clip_low_threshold: input.clip.low, clip_high_threshold: input.clip.high } : null,
    );
    return scoresOf(output, input.sequences);
  }

  async step(): Promise<OptimizerStepResult> {
    const adam = this.options.adam ?? {};
    const metrics = await this.options.client.optimStep(
      this.modelId,
      {
        learning_rate: this.learningRate,
        beta1: adam.beta1 ?? 0.9,
        beta2: adam.beta2 ?? 0.95,
        eps: adam.eps ?? 1e-8,
        weight_decay: adam.weight_decay ?? 0,
        ...(adam.grad_clip_norm ? { grad_clip_norm: adam.grad_clip_norm } : {}),
      },
      this.seq++,
    );
    this.steps += 1;
    await this.refreshSampler();
    const gradNorm = metrics["skyrl.ai/grad_norm"] ?? metrics.grad_norm ?? metrics["optim/grad_norm"] ?? Number.NaN;
    return { gradNorm, step: this.steps, learningRate: this.learningRate };
  }

  setLearningRate(learningRate: number): void {
    this.learningRate = learningRate;
  }

  /** The server's Adam state starts fresh with a new model; a resumed run loads it with the weights. */
  resetOptimizer(): void {}

  /** save_weights on the server, and its path (plus the extra files) in `directory`, swapped in atomically. */
  async save(directory: string, extraFiles: Record<string, string> = {}): Promise<void> {
    const name = `drkit-step-${this.steps}-${Date.now().toString(36)}`;
    const weightsPath = await this.options.client.saveWeights(this.modelId, name, this.seq++);
    const checkpoint: TinkerCheckpoint = {
      baseModel: this.options.baseModel,
      loraRank: this.options.loraRank,
      weightsPath,
      steps: this.steps,
    };
    const staging = `${directory}.staging-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    writeFileSync(join(staging, "tinker.json"), `${JSON.stringify(checkpoint, null, 2)}\n`);
    for (const [file, text] of Object.entries(extraFiles)) writeFileSync(join(staging, file), text);
    mkdirSync(dirname(directory), { recursive: true });
    const old = `${directory}.old-${process.pid}`;
    try {
      renameSync(directory, old);
    } catch {
      // no previous checkpoint
    }
    renameSync(staging, directory);
    rmSync(old, { recursive: true, force: true });
  }

  /** Stop the heartbeat and unload the model (frees its LoRA adapter slot). */
  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    await this.options.client.unloadModel(this.modelId).catch(() => undefined);
  }
}

const TinkerCheckpointSchema = z.object({
  baseModel: z.string(),
  loraRank: z.number().int().positive(),
  weightsPath: z.string(),
  steps: z.number().int().nonnegative(),
});

/** The server-side state recorded in a checkpoint directory (`tinker.json`). */
export function readTinkerCheckpoint(directory: string): TinkerCheckpoint {
  const file = join(directory, "tinker.json");
  if (!existsSync(file))
    throw new DataError("this run's checkpoint has no tinker.json: it was not made by --backend tinker", { file });
  const parsed = TinkerCheckpointSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
  if (!parsed.success) throw new DataError(`invalid Tinker checkpoint: ${parsed.error.issues[0]?.message}`, { file });
  return parsed.data;
}
