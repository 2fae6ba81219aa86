/**
 * The Tinker API's JSON wire shapes that drkit reads (NovaSky-AI/SkyRL `skyrl/tinker/api.py` + `types.py`,
 * thinking-machines-lab/tinker `src/tinker/types/`). Requests are plain objects built by the client; responses
 * are parsed here, so a server that answers something else fails with one clear line.
 */
import { z } from "zod";

export const FutureSchema = z.object({ request_id: z.union([z.string(), z.number()]).transform(String) }).passthrough();

/** The hosted service's "not yet, ask again" answer to retrieve_future. */
export const TryAgainSchema = z.object({ type: z.literal("try_again"), queue_state: z.unknown().optional() });

export const CreateSessionSchema = z.object({ session_id: z.string() }).passthrough();

export const CreateModelSchema = z
  .object({ model_id: z.string(), request_id: z.union([z.string(), z.number()]).transform(String).optional() })
  .passthrough();

export const TensorDataSchema = z.object({
  data: z.array(z.number()),
  dtype: z.string().optional(),
  shape: z.array(z.number()).nullable().optional(),
});

export const ForwardBackwardOutputSchema = z.object({
  loss_fn_output_type: z.string().optional(),
  loss_fn_outputs: z.array(z.record(z.string(), TensorDataSchema)),
  metrics: z.record(z.string(), z.number()).default({}),
});
export type ForwardBackwardOutput = z.infer<typeof ForwardBackwardOutputSchema>;

export const OptimStepOutputSchema = z.object({
  metrics: z.record(z.string(), z.number()).nullable().optional(),
});

export const SaveWeightsForSamplerOutputSchema = z.object({
  path: z.string().nullable().optional(),
  sampling_session_id: z.string().nullable().optional(),
});

export const SaveWeightsOutputSchema = z.object({ path: z.string() }).passthrough();

export const SampleOutputSchema = z.object({
  sequences: z.array(
    z.object({
      stop_reason: z.string(),
      tokens: z.array(z.number().int()),
      logprobs: z.array(z.number()).nullable().optional(),
    }),
  ),
  prompt_logprobs: z.array(z.number().nullable()).nullable().optional(),
});
export type SampleOutput = z.infer<typeof SampleOutputSchema>;

export const CapabilitiesSchema = z.object({
  supported_models: z.array(z.object({ model_name: z.string() }).passthrough()).default([]),
});

/** One training example: input tokens and per-position loss inputs (next-token aligned). */
export interface TinkerDatum {
  model_input: { chunks: { type: "encoded_text"; tokens: number[] }[] };
  loss_fn_inputs: Record<string, { data: number[]; dtype: "int64" | "float32"; shape: number[] }>;
}

export type TinkerLossFunction = "cross_entropy" | "importance_sampling" | "ppo" | "cispo" | "dro";

export interface AdamParams {
  learning_rate: number;
  beta1: number;
  beta2: number;
  eps: number;
  weight_decay: number;
  /** Hosted Tinker clips the gradient norm when > 0; SkyRL ignores it. */
  grad_clip_norm?: number;
}

export interface TinkerSamplingParams {
  max_tokens: number;
  temperature: number;
  top_p: number;
  top_k: number;
  seed?: number;
  /** All strings or all token ids (SkyRL refuses a mix). */
  stop?: string[] | number[];
}
