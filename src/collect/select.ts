/**
 * The trajectory filter pipeline: validity → correctness → quality → dedupe → keep-best-of-k, recording
 * why each rejected trajectory was dropped, and the questions left with no accepted trajectory (the RL
 * pool of WebDancer: SFT and RL questions stay disjoint).
 */
import { createHash } from "node:crypto";
import type { Trajectory } from "../core/trajectory.js";
import { correctnessReason, type QualityOptions, qualityReason, validityReason } from "./trajectory-checks.js";

export interface FilterOptions {
  /** Stage 1 (default on). */
  validity?: boolean;
  /** Require a final answer in stage 1 (default true). */
  requireAnswer?: boolean;
  /** Stage 2: keep only correct trajectories (default on). */
  correctness?: boolean;
  /** Reward threshold when no judge verdict decides (default 1). */
  minReward?: number;
  /** Let judge verdicts decide correctness when present (default true). */
  useVerdicts?: boolean;
  /** Stage 3 rules; `false` disables the stage. */
  quality?: QualityOptions | false;
  /** Drop trajectories with the same question and assistant text (default true). */
  dedupe?: boolean;
  /** Keep at most k trajectories per question, best first (reward, then fewer tool calls, then shorter). */
  bestOfK?: number;
}

export type FilterStage = "validity" | "correctness" | "quality" | "duplicate" | "best-of-k";

export interface Rejection {
  id: string;
  questionId: string;
  stage: FilterStage;
  reason: string;
}

export interface FilterResult {
  kept: Trajectory[];
  rejected: Rejection[];
  /** Count per stage of trajectories dropped there. */
  counts: Record<FilterStage, number> & { input: number; kept: number };
  /** Questions with trajectories in the input but none kept (candidates for the RL pool). */
  unsolvedQuestionIds: string[];
}

/** The group key of a trajectory: its question id, else the question text. */
export function questionKey(trajectory: Trajectory): string {
  return trajectory.questionId ?? trajectory.question;
}

function contentHash(trajectory: Trajectory): string {
  const hash = createHash("sha256");
  hash.update(questionKey(trajectory));
  for (const message of trajectory.messages) {
    if (message.role !== "assistant") continue;
    hash.update("\u0000");
    hash.update(message.reasoning ?? "");
    hash.update("\u0001");
    hash.update(message.content);
    hash.update(JSON.stringify(message.toolCalls ?? []));
  }
  return hash.digest("hex");
}

/** Order for best-of-k: higher reward, then fewer tool calls, then fewer assistant characters. */
export function compareQuality(a: Trajectory, b: Trajectory): number {
  const reward = (b.reward?.score ?? 0) - (a.reward?.score ?? 0);
  if (reward !== 0) return reward;
  const calls = a.usage.toolCalls - b.usage.toolCalls;
  if (calls !== 0) return calls;
  const length = (t: Trajectory) =>
    t.messages.reduce((sum, m) => sum + (m.role === "assistant" ? m.content.length : 0), 0);
  return length(a) - length(b);
}

export function filterTrajectories(trajectories: readonly Trajectory[], options: FilterOptions = {}): FilterResult {
  const counts = {
    input: trajectories.length,
    validity: 0,
    correctness: 0,
    quality: 0,
    duplicate: 0,
    "best-of-k": 0,
    kept: 0,
  };
  const rejected: Rejection[] = [];
  const reject = (trajectory: Trajectory, stage: FilterStage, reason: string) => {
    counts[stage] += 1;
    rejected.push({ id: trajectory.id, questionId: questionKey(trajectory), stage, reason });
  };
  const survivors: Trajectory[] = [];
  const seen = new Set<string>();
  for (const trajectory of trajectories) {
    if (options.validity !== false) {
      const reason = validityReason(trajectory, { requireAnswer: options.requireAnswer });
      if (reason) {
        reject(trajectory, "validity", reason);
        continue;
      }
    }
    if (options.correctness !== false) {
      const reason = correctnessReason(trajectory, { minReward: options.minReward, useVerdicts: options.useVerdicts });
      if (reason) {
        reject(trajectory, "correctness", reason);
        continue;
      }
    }
    if (options.quality !== false) {
      const reason = qualityReason(trajectory, options.quality);
      if (reason) {
        reject(trajectory, "quality", reason);
        continue;
      }
    }
    if (options.dedupe !== false) {
      const key = contentHash(trajectory);
      if (seen.has(key)) {
        reject(trajectory, "duplicate", "same question and assistant text as an earlier trajectory");
        continue;
      }
      seen.add(key);
    }
    survivors.push(trajectory);
  }
  let kept = survivors;
  if (options.bestOfK !== undefined) {
    const byQuestion = new Map<string, Trajectory[]>();
    for (const trajectory of survivors) {
      const list = byQuestion.get(questionKey(trajectory)) ?? [];
      list.push(trajectory);
      byQuestion.set(questionKey(trajectory), list);
    }
    const keep = new Set<Trajectory>();
    for (const list of byQuestion.values()) {
      const ranked = [...list].sort(compareQuality);
      for (const trajectory of ranked.slice(0, options.bestOfK)) keep.add(trajectory);
      for (const trajectory of ranked.slice(options.bestOfK)) {
        reject(trajectory, "best-of-k", `not among the best ${options.bestOfK}`);
      }
    }
    kept = survivors.filter((trajectory) => keep.has(trajectory));
  }
  counts.kept = kept.length;
  const solved = new Set(kept.map(questionKey));
  const unsolved = new Set<string>();
  for (const trajectory of trajectories)
    if (!solved.has(questionKey(trajectory))) unsolved.add(questionKey(trajectory));
  return { kept, rejected, counts, unsolvedQuestionIds: [...unsolved] };
}
