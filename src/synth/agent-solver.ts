/**
 * Calibration with real agent rollouts: a reference ReAct agent (runAgent) searches the corpus n times per item;
 * a rollout passes when its prediction matches the answer (exact match, or cover-EM for non yes/no answers).
 * The pass rate labels the item; the first passing trajectory becomes the item's search trajectory.
 */
import type { UsageTracker } from "../core/budget.js";
import type { Trajectory } from "../core/trajectory.js";
import type { Corpus } from "../corpus/types.js";
import type { ChatModel } from "../llm/chat-model.js";
import { coverExactMatch, exactMatch, normalizeAnswer } from "../reward/normalize.js";
import { CorpusSearchProvider } from "../tools/search/corpus-provider.js";
import { SearchTool } from "../tools/search/search-tool.js";
import type { ReferenceSolver } from "./multihop.js";
import type { Chain, ObfuscatedItem, SynthRecord } from "./types.js";

export type RunAgentFunction = (options: import("../agent/types.js").RunAgentOptions) => Promise<Trajectory>;

export interface AgentSolverOptions {
  model: ChatModel;
  corpus: Corpus;
  runAgent: RunAgentFunction;
  rollouts?: number;
  maxTurns?: number;
  temperature?: number;
  seed?: number;
  tracker?: UsageTracker;
}

export function predictionMatches(prediction: string | null, golds: readonly string[]): boolean {
  if (prediction === null) return false;
  if (exactMatch(prediction, golds) === 1) return true;
  const yesNo = golds.some((gold) => ["yes", "no"].includes(normalizeAnswer(gold)));
  return !yesNo && coverExactMatch(prediction, golds) === 1;
}

export class AgentReferenceSolver implements ReferenceSolver {
  readonly name: string;
  readonly rollouts: number;
  private readonly tool: SearchTool;

  constructor(private readonly options: AgentSolverOptions) {
    this.name = `react:${options.model.name}`;
    this.rollouts = Math.max(1, options.rollouts ?? 4);
    this.tool = new SearchTool({ provider: new CorpusSearchProvider(options.corpus), topk: 5 });
  }

  async solve(item: ObfuscatedItem, chain: Chain, signal?: AbortSignal) {
    const golds = [chain.answer, ...chain.aliases];
    let passes = 0;
    let first: Trajectory | undefined;
    const predictions: (string | null)[] = [];
    for (let sample = 0; sample < this.rollouts; sample++) {
      this.options.tracker?.check();
      const trajectory = await this.options.runAgent({
        question: item.question,
        questionId: item.id,
        goldAnswers: golds,
        protocol: "react",
        model: this.options.model,
        tools: [this.tool],
        sample,
        signal,
        limits: { maxTurns: this.options.maxTurns ?? 12 },
        sampling: {
          temperature: this.options.temperature ?? 0.6,
          ...(this.options.seed !== undefined ? { seed: this.options.seed + sample } : {}),
        },
        metadata: { synth: { item: item.id, level: item.level } },
      });
      if (this.options.tracker) {
        const total = this.options.tracker.usage;
        const usage = trajectory.usage;
        total.promptTokens += usage.promptTokens;
        total.completionTokens += usage.completionTokens;
        total.totalTokens += usage.promptTokens + usage.completionTokens;
        total.llmCalls += usage.llmCalls;
        total.toolCalls += usage.toolCalls;
        total.costUsd += usage.costUsd;
      }
      predictions.push(trajectory.prediction);
      if (predictionMatches(trajectory.prediction, golds)) {
        passes += 1;
        first ??= trajectory;
      }
    }
    const trajectory: SynthRecord["trajectory"] | undefined = first
      ? {
          source: "agent",
          steps: [],
          messages: first.messages
            .filter((message) => message.role === "user" || message.role === "assistant")
            .map((message) => ({ role: message.role, content: message.content })),
          prediction: first.prediction,
        }
      : undefined;
    return {
      passRate: passes / this.rollouts,
      solvedOnce: passes > 0,
      ...(trajectory ? { trajectory } : {}),
      detail: { predictions, trajectory_id: first?.id ?? null },
    };
  }
}
