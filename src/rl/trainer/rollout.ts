/**
 * Multi-turn Search-R1 rollouts in token space with any `SamplingPolicy` + a word tokenizer.
 *
 * - The sampled ids and sampler logprobs are kept verbatim (a model span per turn).
 * - The action is parsed from the ids: a turn stops at `</search>`, `</answer>` or `<eos>`; the query
 *   (answer) is the decoded text between the opening and closing tag.
 * - The `<information>` block is tokenised alone and appended as an observation span (mask 0).
 * - The outcome reward (exact match) is stored on the record; batch building puts it on the last model token.
 * - The n samples of a question share the uid `metadata.uid` and carry `sample` = 0..n−1.
 * Rendered text is never re-tokenised.
 */
import { type ChatMessage, emptyUsage, type Termination, type Trajectory, type Turn } from "../../core/trajectory.js";
import { exactMatch } from "../../reward/normalize.js";
import type { SamplingPolicy } from "../policy/policy.js";
import type { WordTokenizer } from "../policy/tokenizer.js";

export interface RolloutQuestion {
  id: string;
  question: string;
  goldAnswers: string[];
}

/** Returns the `<information> … </information>` text for a query made in the episode of `question`. */
export type SearchEnvironment = (query: string, question: RolloutQuestion) => string | Promise<string>;

export interface RolloutOptions {
  groupSize: number;
  maxTurns: number;
  maxTokensPerTurn: number;
  temperature: number;
  environment: SearchEnvironment;
  /** Observation ids beyond this are cut (Search-R1 max_obs_length); default unlimited. */
  maxObservationTokens?: number;
  /** Text appended after a turn with no valid action. */
  invalidObservation: string;
  /** Seed for this batch of rollouts (the trainer derives it from the run seed and step). */
  seed: number;
  /** Training step, stored in metadata.step (resume truncates by it). */
  step?: number;
  /** Stored in metadata.phase ("train" or "eval"). */
  phase?: string;
  protocol?: string;
}

export function promptIds(tokenizer: WordTokenizer, question: string): number[] {
  return [tokenizer.id("<bos>"), ...tokenizer.encode(question)];
}

interface Episode {
  question: RolloutQuestion;
  sample: number;
  context: number[];
  prompt: number[];
  turns: Turn[];
  spans: NonNullable<Trajectory["tokens"]>["spans"];
  messages: ChatMessage[];
  prediction: string | null;
  termination: Termination | undefined;
  searches: number;
  started: number;
}

export async function rollout(
  policy: SamplingPolicy & { readonly maxLength: number },
  tokenizer: WordTokenizer,
  questions: readonly RolloutQuestion[],
  options: RolloutOptions,
): Promise<Trajectory[]> {
  const searchOpen = tokenizer.id("<search>");
  const searchClose = tokenizer.id("</search>");
  const answerOpen = tokenizer.id("<answer>");
  const answerClose = tokenizer.id("</answer>");
  const eos = tokenizer.id("<eos>");
  const startedAt = new Date().toISOString();
  const episodes: Episode[] = [];
  for (const question of questions) {
    for (let sample = 0; sample < options.groupSize; sample++) {
      const prompt = promptIds(tokenizer, question.question);
      episodes.push({
        question,
        sample,
        context: [...prompt],
        prompt,
        turns: [],
        spans: [],
        messages: [{ role: "user", content: question.question }],
        prediction: null,
        termination: undefined,
        searches: 0,
        started: Date.now(),
      });
    }
  }
  for (let turn = 0; turn < options.maxTurns; turn++) {
    const active = episodes.filter((episode) => episode.termination === undefined);
    if (active.length === 0) break;
    const room = active.map((episode) => Math.min(options.maxTokensPerTurn, policy.maxLength - episode.context.length));
    const runnable = active.filter((_, i) => (room[i] as number) > 0);
    for (const episode of active) {
      if (!runnable.includes(episode)) episode.termination = "generate an answer as token limit reached";
    }
    if (runnable.length === 0) break;
    const modelStart = Date.now();
    const samples = await policy.sample(
      runnable.map((episode) => episode.context),
      {
        maxTokens: Math.max(
          ...runnable.map((episode) => Math.min(options.maxTokensPerTurn, policy.maxLength - episode.context.length)),
        ),
        temperature: options.temperature,
        stopTokenIds: [searchClose, answerClose, eos],
        seed: (options.seed + turn * 7919) >>> 0,
      },
    );
    const modelMs = (Date.now() - modelStart) / Math.max(1, runnable.length);
    for (let i = 0; i < runnable.length; i++) {
      const episode = runnable[i] as Episode;
      const result = samples[i];
      if (!result) continue;
      // Never exceed the per-episode room (the batch call used the largest room).
      const limit = Math.min(options.maxTokensPerTurn, policy.maxLength - episode.context.length);
      const ids = result.tokenIds.slice(0, limit);
      const logprobs = result.logprobs.slice(0, limit);
      const text = tokenizer.decode(ids);
      episode.context.push(...ids);
      episode.spans.push({ source: "model", turn, ids, logprobs });
      episode.messages.push({ role: "assistant", content: text });
      const last = ids[ids.length - 1];
      const opening = last === searchClose ? searchOpen : last === answerClose ? answerOpen : undefined;
      const openAt = opening === undefined ? -1 : ids.lastIndexOf(opening);
      const inner = openAt >= 0 ? tokenizer.decode(ids.slice(openAt + 1, -1)) : undefined;
      const turnRecord: Turn = {
        index: turn,
        text,
        tokenIds: ids,
        logprobs,
        finishReason: result.finishReason,
        action: "invalid",
        toolCalls: [],
        toolResults: [],
        usage: { promptTokens: episode.context.length - ids.length, completionTokens: ids.length },
        startedAt: new Date(modelStart).toISOString(),
        modelMs,
        toolMs: 0,
      };
      episode.turns.push(turnRecord);
      let observation: string;
      if (last === answerClose && inner !== undefined) {
        turnRecord.action = "answer";
        episode.prediction = inner;
        episode.termination = "answer";
        continue;
      }
      if (last === searchClose && inner !== undefined) {
        turnRecord.action = "tool";
        const toolStart = Date.now();
        observation = await options.environment(inner, episode.question);
        turnRecord.toolMs = Date.now() - toolStart;
        const callId = `${episode.question.id}-${episode.sample}-${turn}`;
        turnRecord.toolCalls = [{ id: callId, name: "search", arguments: { query: inner }, raw: inner }];
        turnRecord.toolResults = [
          {
            callId,
            name: "search",
            content: observation,
            isError: false,
            durationMs: turnRecord.toolMs,
            sources: [],
            cached: false,
          },
        ];
        episode.searches += 1;
      } else {
        observation = options.invalidObservation;
      }
      turnRecord.observation = observation;
      const observationIds = tokenizer
        .encode(observation)
        .slice(0, options.maxObservationTokens ?? Number.POSITIVE_INFINITY);
      episode.messages.push({ role: "user", content: observation });
      if (episode.context.length + observationIds.length >= policy.maxLength) {
        episode.termination = "generate an answer as token limit reached";
        continue;
      }
      episode.context.push(...observationIds);
      episode.spans.push({ source: "observation", turn, ids: observationIds });
    }
  }
  const endedAt = new Date().toISOString();
  return episodes.map((episode): Trajectory => {
    const score = episode.prediction === null ? 0 : exactMatch(episode.prediction, episode.question.goldAnswers);
    const completionTokens = episode.spans.reduce(
      (sum, span) => sum + (span.source === "model" ? span.ids.length : 0),
      0,
    );
    const usage = emptyUsage();
    usage.completionTokens = completionTokens;
    usage.promptTokens = episode.prompt.length;
    usage.totalTokens = episode.context.length;
    usage.llmCalls = episode.turns.length;
    usage.toolCalls = episode.searches;
    return {
      version: 1,
      id: `${episode.question.id}#${options.phase ?? "train"}-${options.step ?? 0}#${episode.sample}`,
      questionId: episode.question.id,
      question: episode.question.question,
      goldAnswers: episode.question.goldAnswers,
      protocol: options.protocol ?? "search-r1",
      model: policy.name,
      sample: episode.sample,
      messages: episode.messages,
      turns: episode.turns,
      tokens: { tokenizer: policy.tokenizerName, promptIds: episode.prompt, spans: episode.spans },
      usage,
      timings: { startedAt, endedAt, durationMs: Date.now() - episode.started },
      termination: episode.termination ?? "max turns reached",
      prediction: episode.prediction,
      reward: { score, components: { em: score }, name: "em" },
      verdicts: [],
      metadata: {
        uid: episode.question.id,
        step: options.step ?? 0,
        phase: options.phase ?? "train",
        searches: episode.searches,
      },
    };
  });
}
