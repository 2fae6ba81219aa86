/**
 * A `TokenSampler` over a batch-sampling policy (the in-process transformer): the requests of concurrent
 * episodes that arrive before the next macrotask are sampled as one batch, in arrival order, so RL rollouts of
 * many episodes through the agent loop cost one forward pass per token position, as a turn-synchronous loop
 * would. Stop strings are mapped to the policy's ids (each must be a single token, as the word tokenizer's
 * protocol tags are; others are ignored). The batch seed mixes the rows' seeds, so the same batches sample
 * the same tokens on every run and resume.
 */
import type { TokenSample, TokenSampleRequest, TokenSampler } from "../../llm/token-sampler.js";
import type { SamplingPolicy } from "./policy.js";

interface Pending {
  request: TokenSampleRequest;
  resolve: (sample: TokenSample) => void;
  reject: (error: unknown) => void;
}

function mixSeeds(seeds: readonly number[]): number {
  let hash = 0x811c9dc5;
  for (const seed of seeds) hash = Math.imul(hash ^ (seed >>> 0), 0x01000193) >>> 0;
  return hash;
}

export class BatchedPolicySampler implements TokenSampler {
  readonly name: string;
  readonly maxContextTokens: number;
  private pending: Pending[] = [];
  private scheduled = false;
  private calls = 0;

  constructor(
    private readonly policy: SamplingPolicy & { readonly maxLength: number },
    /** Ids of single-token stop strings (e.g. `</search>` → its id). */
    private readonly stopIdOf: (stop: string) => number | undefined,
  ) {
    this.name = policy.name;
    this.maxContextTokens = policy.maxLength;
  }

  /** Batches sampled so far (for tests and profiles). */
  get batches(): number {
    return this.calls;
  }

  sample(request: TokenSampleRequest): Promise<TokenSample> {
    return new Promise((resolve, reject) => {
      this.pending.push({ request, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    this.scheduled = false;
    const groups = new Map<string, Pending[]>();
    for (const item of batch) {
      const stops = this.stopIds(item.request);
      const key = `${item.request.temperature ?? 1}|${stops.join(",")}`;
      const group = groups.get(key);
      if (group) group.push(item);
      else groups.set(key, [item]);
    }
    for (const group of groups.values()) await this.sampleGroup(group);
  }

  private stopIds(request: TokenSampleRequest): number[] {
    const ids = new Set(request.stopTokenIds ?? []);
    for (const stop of request.stop ?? []) {
      const id = this.stopIdOf(stop);
      if (id !== undefined) ids.add(id);
    }
    return [...ids].sort((a, b) => a - b);
  }

  private async sampleGroup(group: Pending[]): Promise<void> {
    const first = group[0] as Pending;
    try {
      this.calls += 1;
      const results = await this.policy.sample(
        group.map((item) => item.request.promptIds),
        {
          maxTokens: Math.max(...group.map((item) => item.request.maxTokens)),
          temperature: first.request.temperature ?? 1,
          stopTokenIds: this.stopIds(first.request),
          seed: mixSeeds([this.calls, ...group.map((item) => item.request.seed ?? 0)]),
        },
      );
      group.forEach((item, index) => {
        const result = results[index];
        const limit = item.request.maxTokens;
        const tokenIds = result?.tokenIds.slice(0, limit) ?? [];
        const stopped = result?.finishReason === "stop" && tokenIds.length === result.tokenIds.length;
        item.resolve({
          tokenIds,
          logprobs: result?.logprobs.slice(0, limit) ?? [],
          finishReason: stopped ? "stop" : "length",
        });
      });
    } catch (error) {
      for (const item of group) item.reject(error);
    }
  }
}
