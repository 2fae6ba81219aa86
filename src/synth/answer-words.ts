/**
 * Leaks below the whole answer: the content words of the answer and its aliases that a question shares beyond what
 * the source question already had (`Conservative` in a description when the answer is `British Conservative Party`).
 * Words are SQuAD-normalised, stop words dropped, a plural `s` folded.
 */
import { normalizeAnswer } from "../reward/normalize.js";

const STOP_WORDS = new Set(
  "a an the of in on at to for from by with and or but as is was are were be been it its his her their this that these those who whom whose which what when where why how than then there here about into over under after before between during up down out off no not only also very more most such same other own all any both each few many much some so too s".split(
    " ",
  ),
);

function fold(word: string): string {
  return word.length > 4 && word.endsWith("s") && !word.endsWith("ss") ? word.slice(0, -1) : word;
}

/** Content words of a text: normalised, without stop words, plurals folded. */
export function contentWords(text: string): Set<string> {
  const words = normalizeAnswer(text.normalize("NFKD").replace(/[\u0300-\u036f]/g, ""))
    .split(" ")
    .filter((word) => word !== "" && !STOP_WORDS.has(word) && (word.length >= 3 || /^\d+$/.test(word)));
  return new Set(words.map(fold));
}

/** Answer words in `question` that `sourceQuestion` did not already contain. */
export function leakedAnswerWords(question: string, answers: readonly string[], sourceQuestion: string): string[] {
  const inQuestion = contentWords(question);
  const inSource = contentWords(sourceQuestion);
  const leaked = new Set<string>();
  for (const answer of answers)
    for (const word of contentWords(answer)) if (inQuestion.has(word) && !inSource.has(word)) leaked.add(word);
  return [...leaked];
}
