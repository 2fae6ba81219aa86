/**
 * Heavy mode (Tongyi DeepResearch "Heavy", ParallelMuse): n independent episodes of the same question, then one
 * answer from them — a majority vote over their normalised answers, or an aggregator model that reads their final
 * reports. The result is one parent trajectory: its prediction is the aggregate, its usage covers every call, and
 * the n episodes are kept whole in `children`.
 */
import { randomUUID } from "node:crypto";
import { UsageTracker } from "../core/budget.js";
import { describeError } from "../core/errors.js";
import type { ChatMessage, Trajectory } from "../core/trajectory.js";
import type { ChatModel } from "../llm/chat-model.js";
import { extractAnswer } from "../reward/extract.js";
import { normalizeAnswer } from "../reward/normalize.js";
import { truncateMiddle } from "./protocols/protocol.js";
import { episodeHeader, runAgent } from "./run-agent.js";
import type { RunAgentOptions } from "./types.js";

export type AggregateMode = "vote" | "model";
export const AGGREGATE_MODES: readonly AggregateMode[] = ["vote", "model"];

export interface HeavyModeOptions {
  /** Independent episodes per question (at least 2). */
  parallel: number;
  aggregate: AggregateMode;
  /** The model that reads the reports (`model`); default the agent's chat model. */
  aggregator?: ChatModel;
  /** Characters of each episode's final report shown to the aggregator. Default 6,000. */
  maxReportChars?: number;
}

export const AGGREGATOR_SYSTEM_PROMPT =
  "Several research agents worked on the same question independently. Their final reports and answers are below. " +
  "Compare them: prefer answers supported by specific evidence and by several agents, and notice where an agent " +
  "stopped early or guessed. Then give the single best final answer, short, inside <answer></answer>.";

export interface Vote {
  answer: string;
  count: number;
  /** Indexes of the children that gave it. */
  children: number[];
}

/** Children's answers grouped by their normalised form, most votes first (ties: the earliest child first). */
export function tallyVotes(children: readonly Trajectory[]): Vote[] {
  const votes = new Map<string, Vote>();
  children.forEach((child, index) => {
    if (child.prediction === null || child.prediction.trim() === "") return;
    const key = normalizeAnswer(child.prediction);
    const vote = votes.get(key) ?? { answer: child.prediction.trim(), count: 0, children: [] };
    vote.count += 1;
    vote.children.push(index);
    votes.set(key, vote);
  });
  return [...votes.values()].sort((a, b) => b.count - a.count || (a.children[0] ?? 0) - (b.children[0] ?? 0));
}

function finalReport(child: Trajectory, maxChars: number): string {
  const last = [...child.messages].reverse().find((message) => message.role === "assistant");
  const sources = [...new Set(child.turns.flatMap((turn) => turn.toolResults.flatMap((result) => result.sources)))];
  return [
    `Final answer: ${child.prediction ?? "(none)"} (ended: ${child.termination}, ${child.turns.length} turns)`,
    ...(sources.length > 0 ? [`Sources: ${sources.slice(0, 10).join(", ")}`] : []),
    truncateMiddle(last?.content ?? "", maxChars),
  ].join("\n");
}

/** The aggregator's messages for a question and its children's reports. */
export function aggregatorMessages(
  question: string,
  children: readonly Trajectory[],
  maxReportChars = 6_000,
): ChatMessage[] {
  const reports = children.map((child, index) => `## Report ${index + 1}\n${finalReport(child, maxReportChars)}`);
  return [
    { role: "system", content: AGGREGATOR_SYSTEM_PROMPT },
    { role: "user", content: `Question: ${question}\n\n${reports.join("\n\n")}` },
  ];
}

function childOptions(options: RunAgentOptions, parentId: string, parallel: number, index: number): RunAgentOptions {
  const seed = options.sampling?.seed;
  return {
    ...options,
    id: `${parentId}#child-${index}`,
    sample: (options.sample ?? 0) * parallel + index,
    sampling: { ...options.sampling, ...(seed !== undefined ? { seed: seed + index } : {}) },
    metadata: { ...options.metadata, heavyChild: index },
    onEvent: undefined,
  };
}

export async function runHeavy(options: RunAgentOptions, heavy: HeavyModeOptions): Promise<Trajectory> {
  const started = new Date();
  const startedMs = performance.now();
  const id = options.id ?? randomUUID();
  const children = await Promise.all(
    Array.from({ length: heavy.parallel }, (_, index) => runAgent(childOptions(options, id, heavy.parallel, index))),
  );
  const votes = tallyVotes(children);
  let prediction: string | null = votes[0]?.answer ?? null;
  let messages: ChatMessage[] = [];
  const tracker = new UsageTracker();
  for (const child of children) tracker.add(child.usage);
  const record: Record<string, unknown> = { parallel: heavy.parallel, aggregate: heavy.aggregate, votes };
  const aggregator = heavy.aggregator ?? options.model;
  if (heavy.aggregate === "model" && aggregator && !options.signal?.aborted) {
    messages = aggregatorMessages(options.question, children, heavy.maxReportChars);
    try {
      const response = await aggregator.complete({ messages }, options.signal);
      messages.push({ role: "assistant", content: response.text });
      tracker.chargeResponse(response);
      const answer = extractAnswer(response.text, "tongyi");
      if (answer) prediction = answer;
      else record.aggregatorFallback = "the aggregator gave no <answer>: the vote decided";
    } catch (error) {
      record.aggregatorFallback = `the aggregator failed (${describeError(error)}): the vote decided`;
    }
  } else if (heavy.aggregate === "model") record.aggregatorFallback = "no aggregator model: the vote decided";
  const failed = children.every((child) => child.termination === "error");
  return {
    ...episodeHeader(options, id),
    model: children[0]?.model,
    messages,
    turns: [],
    usage: { ...tracker.usage },
    timings: {
      startedAt: started.toISOString(),
      endedAt: new Date().toISOString(),
      durationMs: performance.now() - startedMs,
    },
    termination: options.signal?.aborted
      ? "cancelled"
      : prediction !== null
        ? "answer"
        : failed
          ? "error"
          : "answer not found",
    prediction,
    verdicts: [],
    ...(failed && children[0]?.error ? { error: children[0].error } : {}),
    metadata: { ...options.metadata, heavy: record },
    children,
  };
}

/** One episode, or n and their aggregate in heavy mode. */
export function runEpisode(heavy: HeavyModeOptions | undefined, options: RunAgentOptions): Promise<Trajectory> {
  return heavy ? runHeavy(options, heavy) : runAgent(options);
}
