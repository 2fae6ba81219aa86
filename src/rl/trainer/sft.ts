/**
 * Masked SFT over any training backend: demonstrations are token-space trajectories (prompt, model
 * spans, observation spans); the loss is the token-mean negative log-likelihood over model tokens only
 * (observation tokens get weight 0), i.e. d(loss)/d(logprob_t) = −m_t / Σm.
 */
import { runAgent } from "../../agent/run-agent.js";
import type { ProtocolName } from "../../agent/types.js";
import { createProgress } from "../../core/progress.js";
import { Random } from "../../core/random.js";
import type { Trajectory } from "../../core/trajectory.js";
import type { ChatTemplate } from "../../llm/chat-template.js";
import type { TokenSampler } from "../../llm/token-sampler.js";
import type { TrainingBackend } from "../policy/training-backend.js";
import { type RolloutQuestion, type TrainingTask, taskAgentOptions } from "./agent-rollouts.js";
import { type EvalMetrics, evaluatePolicy, type RlOptions, stepSeed } from "./rl-trainer.js";
import type { RunDirectory } from "./run-directory.js";
import { buildTokenBatch, toSequenceAligned } from "./token-batch.js";

export interface Demonstration {
  question: RolloutQuestion;
  /** The teacher's text for each model turn, in order (the tools produce the observations). */
  turns: string[];
}

/**
 * A sampler that "samples" the teacher's turns: the ids of each text, plus the template's end-of-turn id
 * unless a stop string of the request already ends it — the ids a policy would sample to write that text.
 */
export function teacherSampler(
  template: ChatTemplate,
  turns: readonly string[],
  maxContextTokens?: number,
): TokenSampler {
  let next = 0;
  return {
    name: "teacher",
    ...(maxContextTokens !== undefined ? { maxContextTokens } : {}),
    async sample(request) {
      const text = turns[next++] ?? "";
      const ids = template.encode(text);
      const stopped = (request.stop ?? []).some((stop) => text.endsWith(stop.trim()));
      const eos = template.stopTokenIds[0];
      if (!stopped && eos !== undefined) ids.push(eos);
      return { tokenIds: ids, logprobs: ids.map(() => 0), finishReason: "stop" };
    },
  };
}

/**
 * Demonstrations as token-space trajectories, produced by THE agent loop with a teacher sampler: the same
 * template, protocol, tools and observation ids as the RL rollouts. Demonstrations that do not end with an
 * answer (the context ran out) are left out.
 */
export async function demonstrationTrajectories(
  backend: TrainingBackend,
  task: TrainingTask,
  demonstrations: readonly Demonstration[],
  protocol: ProtocolName,
): Promise<Trajectory[]> {
  const { template, sampler } = await backend.tokenPath();
  const fromTask = taskAgentOptions(task, protocol);
  const trajectories = await Promise.all(
    demonstrations.map((demonstration) =>
      runAgent({
        id: `demo-${demonstration.question.id}`,
        question: demonstration.question.question,
        questionId: demonstration.question.id,
        goldAnswers: demonstration.question.goldAnswers,
        protocol,
        token: { template, sampler: teacherSampler(template, demonstration.turns, sampler.maxContextTokens) },
        ...fromTask,
        limits: { maxTurns: demonstration.turns.length + 1 },
        metadata: { uid: demonstration.question.id },
      }),
    ),
  );
  return trajectories.filter((trajectory) => trajectory.termination === "answer" && trajectory.tokens);
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
  protocol: ProtocolName;
  checkpointEvery: number;
  quiet: boolean;
}

/** One SFT update on demonstrations; returns the mean NLL per model token before the update. */
export async function sftStep(backend: TrainingBackend, demonstrations: readonly Trajectory[]): Promise<number> {
  const batch = buildTokenBatch(demonstrations);
  let tokens = 0;
  for (let k = 0; k < batch.responseMask.length; k++) tokens += batch.responseMask[k] as number;
  const weights = new Float64Array(batch.responseMask.length);
  for (let k = 0; k < weights.length; k++) weights[k] = -(batch.responseMask[k] as number) / Math.max(1, tokens);
  const result = await backend.backward(
    batch.sequences,
    batch.sequences.map((_, row) => ({ logprob: toSequenceAligned(batch, row, weights) })),
  );
  await backend.step();
  return result.objective;
}

export async function runSft(
  backend: TrainingBackend,
  /** Held-out questions to evaluate on (greedy rollouts); none: no evaluation. */
  task: TrainingTask | undefined,
  demonstrations: readonly Trajectory[],
  run: RunDirectory,
  options: SftOptions,
  startStep: number,
): Promise<{ lastEval?: EvalMetrics }> {
  backend.setLearningRate(options.learningRate);
  let lastEval: EvalMetrics | undefined;
  const evalOptions: Pick<RlOptions, "maxTurns" | "maxTokensPerTurn" | "evalSize" | "seed" | "protocol"> = options;
  const evaluate = async (step: number) => {
    if (!task) return;
    lastEval = (await evaluatePolicy(backend, task, evalOptions, step)).metrics;
    run.evaluations.append(lastEval);
  };
  if (startStep === 0) {
    run.truncateAfter(-1); // a start killed before its first step: its step-0 evaluation is re-done now
    backend.resetOptimizer();
    if (options.evalEvery > 0) await evaluate(0);
    await run.saveCheckpoint(backend, 0);
  }
  const progress = createProgress({ label: "sft", total: options.steps, start: startStep, quiet: options.quiet });
  for (let step = startStep + 1; step <= options.steps; step++) {
    const started = Date.now();
    const picker = new Random(stepSeed(options.seed, step, 3));
    const loss = await sftStep(backend, picker.sample(demonstrations, options.batchSize));
    run.metrics.append({ step, sft_loss: loss, seconds: (Date.now() - started) / 1000 });
    if (options.evalEvery > 0 && (step % options.evalEvery === 0 || step === options.steps)) await evaluate(step);
    if (step % options.checkpointEvery === 0 || step === options.steps) await run.saveCheckpoint(backend, step);
    progress.increment(1, {
      loss: loss.toFixed(3),
      ...(lastEval ? { heldout_em: lastEval.exact_match.toFixed(2) } : {}),
    });
  }
  progress.stop();
  return { lastEval };
}
