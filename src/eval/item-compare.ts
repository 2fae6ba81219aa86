/**
 * Two evaluation runs item by item (the browser's `eval compare`): for every question both runs answered, each run's
 * prediction and correctness on its first sample, and the four-way tally (both right, only A, only B, both wrong).
 */
import type { Trajectory } from "../core/trajectory.js";
import { itemResultFromTrajectory } from "./items.js";

export interface ComparedItem {
  questionId: string;
  question: string;
  goldAnswers: string[];
  a: { prediction: string | null; correct: boolean | null };
  b: { prediction: string | null; correct: boolean | null };
  outcome: "both right" | "only A" | "only B" | "both wrong" | "unscored";
}

export interface ItemComparison {
  counts: Record<ComparedItem["outcome"], number>;
  /** Questions only one run has. */
  onlyInA: number;
  onlyInB: number;
  items: ComparedItem[];
}

function firstSamples(trajectories: readonly Trajectory[]): Map<string, Trajectory> {
  const out = new Map<string, Trajectory>();
  for (const trajectory of trajectories) {
    const key = trajectory.questionId ?? trajectory.question;
    const held = out.get(key);
    if (!held || trajectory.sample < held.sample) out.set(key, trajectory);
  }
  return out;
}

function outcomeOf(a: boolean | null, b: boolean | null): ComparedItem["outcome"] {
  if (a === null || b === null) return "unscored";
  if (a && b) return "both right";
  if (a) return "only A";
  return b ? "only B" : "both wrong";
}

export function compareItems(runA: readonly Trajectory[], runB: readonly Trajectory[]): ItemComparison {
  const a = firstSamples(runA);
  const b = firstSamples(runB);
  const counts: ItemComparison["counts"] = { "both right": 0, "only A": 0, "only B": 0, "both wrong": 0, unscored: 0 };
  const items: ComparedItem[] = [];
  for (const [key, left] of a) {
    const right = b.get(key);
    if (!right) continue;
    const resultA = itemResultFromTrajectory(left);
    const resultB = itemResultFromTrajectory(right);
    const outcome = outcomeOf(resultA.correct, resultB.correct);
    counts[outcome] += 1;
    items.push({
      questionId: key,
      question: left.question,
      goldAnswers: left.goldAnswers,
      a: { prediction: left.prediction, correct: resultA.correct },
      b: { prediction: right.prediction, correct: resultB.correct },
      outcome,
    });
  }
  return {
    counts,
    onlyInA: [...a.keys()].filter((key) => !b.has(key)).length,
    onlyInB: [...b.keys()].filter((key) => !a.has(key)).length,
    items,
  };
}
