/**
 * The order in which the rule obfuscator tries its rewrites of one (question, level): which option each target takes
 * (choice vectors, nearest to the preferred first) and, at L3, how descriptions are written (styles).
 */
import type { Level } from "./types.js";

/** How far down a target's options a variant goes (0 = the best): three options per target at most. */
const MAX_CHOICE = 2;

/**
 * How an L3 rewrite describes: `short` name-free descriptions and values made vague (the preferred one); `long`:
 * the chain entities keep their L2 descriptions and only values are made vague; `exact`: short name-free
 * descriptions with values left exact (for a question the vague form leaves too open); `head`: the L2 descriptions cut
 * to their head phrase (when `long` makes nothing vague, so L3 still says less than L2).
 */
export type Style = "short" | "long" | "exact" | "head";

/**
 * The rewrites after the preferred one, in order: each target's second option alone, then (L3) the `long` and
 * `exact` styles, then the other choice vectors.
 */
export function* variantPlans(length: number, level: Level): Generator<{ choices: number[]; style: Style }> {
  let sum = 0;
  const styles = function* (): Generator<{ choices: number[]; style: Style }> {
    yield { choices: [], style: "long" };
    yield { choices: [], style: "exact" };
  };
  for (const choices of choiceVectors(length, MAX_CHOICE)) {
    const next = choices.reduce((total, choice) => total + choice, 0);
    if (level === 3 && sum === 1 && next === 2) yield* styles();
    sum = next;
    yield { choices, style: "short" };
  }
  if (level === 3 && sum <= 1) yield* styles();
}

/**
 * Every way to pick an option number 0…max for each of `length` targets, except all zeros, in order of how far
 * they stray from the best (the sum of the choices), the first targets varied first.
 */
export function* choiceVectors(length: number, max: number): Generator<number[]> {
  for (let sum = 1; sum <= length * max; sum++) yield* vectorsWithSum(length, max, sum);
}

function* vectorsWithSum(length: number, max: number, sum: number): Generator<number[]> {
  if (length === 0) {
    if (sum === 0) yield [];
    return;
  }
  for (let first = Math.min(max, sum); first >= 0; first--)
    for (const rest of vectorsWithSum(length - 1, max, sum - first)) yield [first, ...rest];
}
