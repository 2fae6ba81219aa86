/**
 * The readability gate: rules a question must pass to be kept, each stated and tested on its own (a failed rule is
 * named in the check's detail and counted per level in the report):
 * - `markup`: no wiki or HTML markup, entities or escapes (`<nowiki>`, `[[`, `{{`, `''`, `&amp;`);
 * - `repeated word`: no function word twice in a row (`the the`, `of of`), no two articles in a row (`the a`), no
 *   article after a possessive determiner (`its the`) and no article before `someone`;
 * - `unbalanced quotes`: an even number of straight double quotes, as many “ as ”, no empty quotes;
 * - `unbalanced brackets`: every `(` / `[` closed;
 * - `one question`: it ends in `?` and asks once (a `?` inside a quoted title does not count; a statement before the
 *   question, as in `X and Y were both musicians. Which of them …?`, is allowed);
 * - `capitalised article`: no `The` / `A` / `An` inside a sentence before a lower-case word (a pasted sentence start);
 * - `glued words`: no word run into a number (`in2014`);
 * - `dangling end`: the question does not end on an article or conjunction (`… of the?`; a final preposition, as in
 *   `which party did she belong to?`, is English);
 * - `length`: between 6 and 70 words.
 */
import type { Check } from "./types.js";

export const READABILITY_RULES = [
  "markup",
  "repeated word",
  "unbalanced quotes",
  "unbalanced brackets",
  "one question",
  "capitalised article",
  "glued words",
  "dangling end",
  "length",
] as const;
export type ReadabilityRule = (typeof READABILITY_RULES)[number];

const FUNCTION_WORDS = "the|a|an|of|in|on|at|to|for|by|with|and|or|from|as|is|was|that|which|who";

function count(text: string, pattern: RegExp): number {
  return (text.match(pattern) ?? []).length;
}

function balanced(text: string, open: string, close: string): boolean {
  let depth = 0;
  for (const character of text) {
    if (character === open) depth += 1;
    else if (character === close && --depth < 0) return false;
  }
  return depth === 0;
}

const RULES: Record<ReadabilityRule, (question: string) => boolean> = {
  markup: (q) => !/<\/?[a-z][^>]*>|\[\[|\]\]|\{\{|\}\}|''|&[a-z#0-9]+;|\\[nt"]/i.test(q),
  "repeated word": (q) =>
    !new RegExp(`\\b(${FUNCTION_WORDS})\\s+\\1\\b`, "i").test(q) &&
    !/\b(?:the|a|an)\s+(?:the|a|an|someone)\b/i.test(q) &&
    !/\b(?:its|his|their|our|my|your|whose)\s+(?:the|a|an)\s/i.test(q),
  "unbalanced quotes": (q) => count(q, /"/g) % 2 === 0 && count(q, /“/g) === count(q, /”/g) && !/["“]\s*["”]/.test(q),
  "unbalanced brackets": (q) => balanced(q, "(", ")") && balanced(q, "[", "]"),
  "one question": (q) => {
    const outsideQuotes = q.trim().replace(/"[^"]*"|“[^”]*”/g, "“”");
    return /\?["”]?$/.test(q.trim()) && count(outsideQuotes, /\?/g) <= 1;
  },
  "capitalised article": (q) => !/[a-z,;]\s+(?:The|A|An)\s+[a-z]/.test(q),
  "glued words": (q) => !/\b[a-z]{2,}\d{3,}|\b\d{3,}[a-rt-z][a-z]/.test(q),
  "dangling end": (q) => !/\b(?:the|a|an|and|or)\s*\?$/i.test(q.trim()),
  length: (q) => {
    const words = q.split(/\s+/).filter(Boolean).length;
    return words >= 6 && words <= 70;
  },
};

/** The rules a question fails (empty when it reads as one well-formed question). */
export function readabilityFailures(question: string): ReadabilityRule[] {
  return READABILITY_RULES.filter((rule) => !RULES[rule](question));
}

export function readabilityCheck(question: string): Check {
  const failed = readabilityFailures(question);
  return { passed: failed.length === 0, method: "readability-rules", detail: { failed } };
}
