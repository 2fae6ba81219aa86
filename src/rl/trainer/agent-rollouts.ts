/**
 * RL rollouts through THE agent loop: every episode is `runAgent` on the token path with the training
 * backend's sampler and chat template, under any protocol, with the task's real tools, scored by any named
 * reward. The n samples of a question share the uid `metadata.uid` and carry `sample` = 0..n−1; each episode
 * has its own seed derived from the step seed, so a resumed run samples what an uninterrupted one would.
 */

import type { ContextStrategy } from "../../agent/context-strategy.js";
import { runAgent } from "../../agent/run-agent.js";
import type { TokenPath } from "../../agent/token-session.js";
import type { ProtocolName } from "../../agent/types.js";
import type { Trajectory } from "../../core/trajectory.js";
import { createReward, type RewardFunction, rewardTrajectory } from "../../reward/rewards.js";
import type { Tool } from "../../tools/tool.js";

export interface RolloutQuestion {
  id: string;
  question: string;
  goldAnswers: string[];
}

/** Questions and the tools the agent uses on them. */
export interface TrainingTask {
  name: string;
  train: RolloutQuestion[];
  heldOut: RolloutQuestion[];
  /** The agent's tools under a protocol (search-r1 uses the one named `search`). */
  tools(protocol: ProtocolName): Tool[];
  /** Instruction prompt (`{question}` is replaced) instead of the protocol's; the tiny policy reads only the question. */
  systemPrompt?: string;
  /** Feedback after a turn with no valid action, instead of the protocol's wording. */
  invalidFeedback?: string;
}

export interface AgentRolloutOptions {
  protocol: ProtocolName;
  groupSize: number;
  maxTurns: number;
  maxTokensPerTurn: number;
  temperature: number;
  /** Seed of this rollout phase (the trainer derives it from the run seed and the step). */
  seed: number;
  step?: number;
  phase?: "train" | "eval";
  /** Outcome reward stored on each trajectory; default exact match. */
  reward?: RewardFunction;
  /** Context strategy of every episode (summarize: segments become samples of the rollout). */
  context?: ContextStrategy;
}

/** What a task gives every episode under a protocol: its tools, and its prompt and feedback when it has them. */
export function taskAgentOptions(task: TrainingTask, protocol: ProtocolName) {
  return {
    tools: task.tools(protocol),
    ...(task.systemPrompt !== undefined ? { systemPrompt: task.systemPrompt } : {}),
    ...(task.invalidFeedback !== undefined ? { invalidFeedback: task.invalidFeedback } : {}),
  };
}

/** A per-episode seed: distinct for every (phase seed, episode) pair. */
export function episodeSeed(seed: number, episode: number): number {
  return (Math.imul(seed ^ 0x5bd1e995, 31) + Math.imul(episode + 1, 0x9e3779b1)) >>> 0;
}

export async function agentRollouts(
  path: TokenPath,
  task: TrainingTask,
  questions: readonly RolloutQuestion[],
  options: AgentRolloutOptions,
): Promise<Trajectory[]> {
  const fromTask = taskAgentOptions(task, options.protocol);
  const reward = options.reward ?? createReward("em");
  const phase = options.phase ?? "train";
  const step = options.step ?? 0;
  const episodes = questions.flatMap((question) =>
    Array.from({ length: options.groupSize }, (_, sample) => ({ question, sample })),
  );
  return Promise.all(
    episodes.map(async ({ question, sample }, index) => {
      const trajectory = await runAgent({
        id: `${question.id}#${phase}-${step}#${sample}`,
        question: question.question,
        questionId: question.id,
        goldAnswers: question.goldAnswers,
        protocol: options.protocol,
        token: path,
        ...fromTask,
        sample,
        sampling: { temperature: options.temperature, seed: episodeSeed(options.seed, index) },
        limits: { maxTurns: options.maxTurns, maxTokensPerTurn: options.maxTokensPerTurn },
        metadata: { uid: question.id, step, phase },
        ...(options.context ? { context: options.context } : {}),
      });
      trajectory.metadata.searches = trajectory.turns.reduce((sum, turn) => sum + turn.toolCalls.length, 0);
      return rewardTrajectory(trajectory, reward);
    }),
  );
}
