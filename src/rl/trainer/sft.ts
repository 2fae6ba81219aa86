/**
 * Masked SFT for the in-process policy: demonstrations are token-space trajectories (prompt, model
 * spans, observation spans); the loss is the token-mean negative log-likelihood over model tokens only
 * (observation tokens get weight 0), i.e. d(loss)/d(logprob_t) = −m_t / Σm.
 */
import { createProgress } from "../../core/progress.js";
import { Random } from "../../core/random.js";
import type { Trajectory } from "../../core/trajectory.js";
import type { InProcessPolicy } from "../policy/in-process-policy.js";
import type { WordTokenizer } from "../policy/tokenizer.js";
import { type EvalMetrics, evaluatePolicy, type RlOptions, stepSeed, type TrainingTask } from "./rl-trainer.js";
import { promptIds, type RolloutQuestion } from "./rollout.js";
import type { RunDirectory } from "./run-directory.js";
import { buildTokenBatch, toSequenceAligned } from "./token-batch.js";

export interface Demonstration {
  question: RolloutQuestion;
  /** Model turns and the observation after each (undefined after the last turn). */
  turns: { text: string; observation?: string }[];
}

/** A token-space trajectory for a demonstration (model turns tokenised, observations tokenised alone). */
export function demonstrationTrajectory(tokenizer: WordTokenizer, demonstration: Demonstration): Trajectory {
  const spans: NonNullable<Trajectory["tokens"]>["spans"] = [];
  demonstration.turns.forEach((turn, index) => {
    spans.push({ source: "model", turn: index, ids: tokenizer.encode(turn.text) });
    if (turn.observation !== undefined) {
      spans.push({ source: "observation", turn: index, ids: tokenizer.encode(turn.observation) });
    }
  });
  const now = new Date().toISOString();
  return {
    version: 1,
    id: `demo-${demonstration.question.id}`,
    questionId: demonstration.question.id,
    question: demonstration.question.question,
    goldAnswers: demonstration.question.goldAnswers,
    protocol: "search-r1",
    sample: 0,
    messages: [{ role: "user", content: demonstration.question.question }],
    turns: [],
    tokens: {
      tokenizer: tokenizer.name,
      promptIds: promptIds(tokenizer, demonstration.question.question),
      spans,
    },
    usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0, llmCalls: 0, toolCalls: 0, costUsd: 0 },
    timings: { startedAt: now, durationMs: 0 },
    termination: "answer",
    prediction: demonstration.question.goldAnswers[0] ?? null,
    verdicts: [],
    metadata: { uid: demonstration.question.id },
  };
}

export interface SftOptions {
  steps: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  evalEvery: number;
  evalSize: number;
  maxTurns: number;
  maxTokensPerTurn: number;
  checkpointEvery: number;
  quiet: boolean;
}

/** One SFT update on demonstrations; returns the mean NLL per model token before the update. */
export async function sftStep(policy: InProcessPolicy, demonstrations: readonly Trajectory[]): Promise<number> {
  const batch = buildTokenBatch(demonstrations);
  let tokens = 0;
  for (let k = 0; k < batch.responseMask.length; k++) tokens += batch.responseMask[k] as number;
  const weights = new Float64Array(batch.responseMask.length);
  for (let k = 0; k < weights.length; k++) weights[k] = -(batch.responseMask[k] as number) / Math.max(1, tokens);
  const result = await policy.backward(
    batch.sequences,
    batch.sequences.map((_, row) => ({ logprob: toSequenceAligned(batch, row, weights) })),
  );
  await policy.step();
  return -result.objective;
}

export async function runSft(
  policy: InProcessPolicy,
  task: TrainingTask,
  demonstrations: readonly Trajectory[],
  run: RunDirectory,
  options: SftOptions,
  startStep: number,
): Promise<{ lastEval?: EvalMetrics }> {
  policy.setLearningRate(options.learningRate);
  let lastEval: EvalMetrics | undefined;
  const evalOptions: Pick<RlOptions, "maxTurns" | "maxTokensPerTurn" | "evalSize" | "seed"> = options;
  const evaluate = async (step: number) => {
    lastEval = (await evaluatePolicy(policy, task, evalOptions, step)).metrics;
    run.evaluations.append(lastEval);
  };
  if (startStep === 0) {
    policy.resetOptimizer();
    if (options.evalEvery > 0) await evaluate(0);
    await run.saveCheckpoint(policy, 0);
  }
  const progress = createProgress({ label: "sft", total: options.steps, start: startStep, quiet: options.quiet });
  for (let step = startStep + 1; step <= options.steps; step++) {
    const started = Date.now();
    const picker = new Random(stepSeed(options.seed, step, 3));
    const loss = await sftStep(policy, picker.sample(demonstrations, options.batchSize));
    run.metrics.append({ step, sft_loss: loss, seconds: (Date.now() - started) / 1000 });
    if (options.evalEvery > 0 && (step % options.evalEvery === 0 || step === options.steps)) await evaluate(step);
    if (step % options.checkpointEvery === 0 || step === options.steps) await run.saveCheckpoint(policy, step);
    progress.increment(1, {
      loss: loss.toFixed(3),
      ...(lastEval ? { heldout_em: lastEval.exact_match.toFixed(2) } : {}),
    });
  }
  progress.stop();
  return { lastEval };
}
