/**
 * How a description is cut to one phrase that fits: names cut away at L3, lists and role lists, loose modifiers, leaked
 * answer words, repetition of the question, back references, and L3's head phrases. Pure text functions; the rule
 * obfuscator (obfuscate.ts) decides which to apply where.
 */
import { contentWords, leakedAnswerWords } from "./answer-words.js";
import { isField } from "./clause-descriptions.js";
import { isPhrase } from "./mention-role.js";
import { isDemonym, isPlace } from "./replace-mention.js";
import { disambiguation, namedSpans, stripDangling, stripDanglingParticiples } from "./text.js";

/** Not a comma inside a list of modifiers (`the main municipal, administrative, and commercial centre`). */
const IN_MODIFIER_LIST = "(?!(?:\\s+[a-z-]+,)*\\s+(?:and|or)\\s+[a-z-]+\\s+[a-z])";

/**
 * Clause and preposition boundaries; a comma before a capitalised word (`Dennis, Massachusetts`) or inside a list of
 * modifiers (`the main municipal, administrative, and commercial centre`) is none.
 */
const CUT_BEFORE = new RegExp(
  `(?:,(?!\\s+\\p{Lu})${IN_MODIFIER_LIST}|\\s(?:starring|featuring|by|in|of|from|for|with|and|at|on|to|under|whose|who|which|that))\\s`,
  "giu",
);

/**
 * An L3 description without the names inside it: cut at the last clause or preposition boundary before its first
 * name (`the 1945 American comedy film starring … Shirley Temple` → `the 1945 American comedy film`), dangling
 * participles dropped; null when fewer than 3 words are left.
 */
export function cutBeforeNames(text: string): string | null {
  const name = namedSpans(text).find((span) => !isDemonym(span) && !isPlace(span) && text.indexOf(span) > 0);
  return name ? cutBefore(text, text.indexOf(name)) : text;
}

const NAME = "\\p{Lu}[\\p{L}.'’-]*(?:\\s+\\p{Lu}[\\p{L}.'’-]*)*";
/** A colon, or three names in a row (`A, B, C`, `A, B and C`, `guitarist A, bassist B, drummer C`), starts a list. */
const LIST = new RegExp(
  `:|${NAME},\\s+(?:[a-z]+\\s+)?${NAME},?\\s+(?:and\\s+)?(?:[a-z]+\\s+)?${NAME}|["“][^"”]+["”],\\s+["“]`,
  "u",
);
/** Where a list is cut off: the last clause or preposition boundary before it (`and` joins the list's own roles). */
const LIST_BOUNDARY =
  /(?:,|\s(?:starring|featuring|by|in|of|from|for|with|at|on|to|under|whose|who|which|that|including|such as))\s/gi;

const LIFE_DATES = /\s+(?:who lived from \d{3,4} to \d{3,4}|born in \d{3,4})$/;

/**
 * A description without the list in it (`the photographer who has shot advertising campaigns for Marc Jacobs, Aldo,
 * Supreme, …` → `the photographer who has shot advertising campaigns`): a list reads as a clipped record, not as
 * a description. Null when too little is left.
 */
export function withoutList(text: string): string | null {
  // `… who lived from 1891 to 1949` closes the description: the list is cut before it, the dates stay.
  const life = LIFE_DATES.exec(text);
  if (life) {
    const rest = withoutList(text.slice(0, life.index));
    return rest === null ? null : `${rest}${life[0]}`;
  }
  // `the soul singer; keyboardist, guitarist, …`: a semicolon ends the phrase.
  const semicolon = text.indexOf(";");
  if (semicolon > 0) return withoutList(stripDangling(text.slice(0, semicolon)));
  const roles = roleListStart(text) ?? appositionStart(text);
  if (roles !== undefined) return stripDangling(text.slice(0, roles));
  const at = LIST.exec(text)?.index;
  if (at === undefined) return text;
  const head = text.slice(0, at);
  const boundary = [...head.matchAll(LIST_BOUNDARY)].at(-1)?.index ?? at;
  // `known for works [such as "The Zoo Story", …]` says nothing once the works are cut.
  const out = stripDanglingParticiples(stripDangling(head.slice(0, boundary).replace(KNOWN_FOR_NOTHING, "")));
  return isPhrase(out) ? out : null;
}

const KNOWN_FOR_NOTHING =
  /\s+(?:best\s+)?(?:known|famous|noted|remembered)\s+for\s+(?:(?:his|her|their|its)\s+)?(?:works|songs|films|books|albums|roles|titles|plays|novels)\s*$/;

/**
 * `the British business executive, the former CEO of …`, `the son of Domhnall mac Raghnaill, the eponym of …`: a second
 * noun phrase set off by a comma is cut away, the first kept; undefined when there is none.
 */
function appositionStart(text: string): number | undefined {
  for (const match of text.matchAll(/,(?=\s+(?:the|a|an|one|former|current|then)\s)/g)) {
    const head = text.slice(0, match.index);
    if (isPhrase(head)) return match.index;
  }
  return undefined;
}

/**
 * `the anti-war organizer, former community college history instructor, and a founding member of …`: roles
 * listed with `, and` are cut after the first one that ends on a noun; undefined when there is no such list.
 */
function roleListStart(text: string): number | undefined {
  // A list of single nouns (`the pianist, composer, songwriter, and arranger`) reads as one role; a list holding a
  // phrase of its own (`, and a founding member of …`, `, an early Kuomintang member,`) does not.
  if (!/,\s+and\s/.test(text) || !/,\s+(?:and\s+)?(?:a|an|the|one)\s/.test(text)) return undefined;
  for (const match of text.matchAll(/,(?=\s+[a-z])/g)) {
    const head = text.slice(0, match.index);
    if (isPhrase(head)) return match.index;
  }
  return undefined;
}

/** `text` cut at the first clause or preposition boundary (after 3 words) before `index`; null when too short. */
export function cutBefore(text: string, index: number): string | null {
  const head = text.slice(0, index);
  // The first boundary after the head noun phrase (three words at least) keeps the phrase whole.
  const cut = [...head.matchAll(CUT_BEFORE)].find(
    (match) => head.slice(0, match.index).split(/\s+/).length >= 3,
  )?.index;
  return closedPhrase(cut !== undefined ? head.slice(0, cut) : head);
}

/** `text` cut at the last clause or preposition boundary before `index` (three words left at least); null if none. */
function cutAtLastBoundary(text: string, index: number): string | null {
  const head = text.slice(0, index);
  const boundary = [...head.matchAll(CUT_BEFORE)].at(-1)?.index;
  return boundary === undefined ? null : closedPhrase(head.slice(0, boundary));
}

/**
 * What a cut leaves, closed: dangling words and participles dropped, and a relative clause left with its verb alone
 * (`the river that rises [in …]`) too; null when that is no phrase.
 */
function closedPhrase(cut: string): string | null {
  const kept = stripDanglingParticiples(stripDangling(cut));
  const out = stripDangling(kept.replace(/\s+(?:who|which|that)\s+[a-z]+$/, ""));
  return isPhrase(out) ? out : null;
}

/** A comma opening a loose modifier: a participle, `best known`, or a relative clause. */
const ADD_ON =
  /,\s+(?:who|which|whose|where|best|also|now|currently|formerly|originally|then|[a-z]+ed|[a-z]+ing|written|known|born|made|taken|given|sung|drawn|shown|grown|built|sold|begun|driven|won)\b/;

/**
 * The description before a loose modifier set off by a comma (`the alternative rock band from Boston, Massachusetts,
 * best known for the 1994 single, "Here & Now", …` → `the alternative rock band from Boston, Massachusetts`): tried
 * before the whole one, which reads as a record pasted into the question; null when there is none or too little left.
 */
export function withoutAddOn(text: string): string | null {
  const at = ADD_ON.exec(text)?.index;
  if (at === undefined) return null;
  const head = stripDangling(text.slice(0, at));
  return isPhrase(head) ? head : null;
}

/** `the University`, `the Company` alone: the passage's short name for something named before it. */
const BACK_REFERENCE =
  /\bthe (?:University|College|School|Company|Corporation|Club|Group|Church|Party|Team|City|Town|State|Republic|Kingdom|Society|Association|Institute|Museum)\b(?!\s+(?:of\b|\p{Lu}))|\bof the same name\b/u;

/**
 * Whether a description leans on a name its passage gave before (`the 44th season of the University fielding a men's
 * basketball program`): out of its passage it names nothing.
 */
export function refersBack(text: string): boolean {
  return BACK_REFERENCE.test(text);
}

/**
 * The description cut before the first answer word it leaks (`the Danish footballer born in 1986 who plays as a
 * goalkeeper …` → `the Danish footballer born in 1986` when the answer is `World's Best Goalkeeper`); null when the
 * cut leaves no phrase or still leaks.
 */
export function withoutLeakedWords(text: string, answers: readonly string[], base: string): string | null {
  const leaked = leakedAnswerWords(text, answers, base);
  if (leaked.length === 0) return text;
  const words = [...text.matchAll(/[\p{L}\p{N}']+/gu)];
  const first = words.find((word) => leaked.some((leak) => [...contentWords(word[0])].includes(leak)));
  const cut = first?.index ? cutAtLastBoundary(text, first.index) : null;
  return cut !== null && leakedAnswerWords(cut, answers, base).length === 0 ? cut : null;
}

/** Where a description's head phrase may end: a clause, or a place or origin after the head noun. */
const HEAD_END = new RegExp(`(?:,${IN_MODIFIER_LIST}|\\s(?:who|which|that|whose|in|from|with))\\s`, "g");

/**
 * The head phrase of a description (three words at least, ending on a noun): `the tributary of the Limpopo River in
 * Beitbridge District` → `the tributary of the Limpopo River`; null when there is no shorter one. Never cut at `of`
 * or `and`, which hold a phrase together (`the remainder of his life`, `the American rock and pop band`).
 */
export function headPhrase(text: string): string | null {
  for (const match of text.matchAll(HEAD_END)) {
    // Inside a relative clause a cut changes what the clause says (`who spent the remainder of his life [in exile]`).
    if (/\s(?:who|which|that|whose)\s/.test(text.slice(0, match.index + 1))) return null;
    const head = stripDanglingParticiples(stripDangling(text.slice(0, match.index)));
    if (isPhrase(head)) return head;
  }
  return null;
}

/** A title's disambiguation as a description: `Kiss and Tell (1945 film)` → `the 1945 film`; null without one. */
export function titleKind(title: string): string | null {
  const inside = disambiguation(title);
  if (!inside || !/^[\p{L}\p{N}][\p{L}\p{N} '-]*$/u.test(inside) || inside.split(/\s+/).length > 4) return null;
  if (!/\s/.test(inside) && /^\p{Lu}/u.test(inside)) return null; // `(Texas)`: a place, not a kind
  if (isField(inside.split(/\s+/).at(-1) ?? "")) return null; // `(rugby)`: a sport, not a kind
  return `the ${inside}`;
}

/**
 * Where a description starts repeating the rest of the question (a tautology: `the Canadian singer-songwriter is a
 * singer-songwriter from Canada`, or a name the question already gives): the character index of the first two
 * consecutive long words (4+ letters), or three consecutive words, found in both; -1 when none.
 */
export function repetitionIndex(description: string, question: string, mention: string): number {
  const words = (text: string) => [...text.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu)];
  const rest = ` ${words(question.replace(mention, " "))
    .map((match) => match[0])
    .join(" ")} `;
  const own = words(description);
  for (let i = 0; i + 2 <= own.length; i++) {
    const pair = own.slice(i, i + 2).map((match) => match[0]);
    const triple = own.slice(i, i + 3).map((match) => match[0]);
    // Two long words (`revolutionary war` counts: one word of six letters and one of three will do).
    // Function words never make a pair (`band from` in two descriptions of one question is no repetition).
    const long =
      !pair.some((word) => STOP.has(word)) &&
      (pair.every((word) => word.length >= 4) ||
        (pair.some((word) => word.length >= 6) && pair.every((word) => word.length >= 3)));
    const longPair = long && rest.includes(` ${pair.join(" ")} `);
    const anyTriple =
      triple.length === 3 && !triple.every((word) => word.length <= 3) && rest.includes(` ${triple.join(" ")} `);
    if (longPair || anyTriple) return own[i]?.index ?? 0;
  }
  return -1;
}

const STOP = new Set(
  "the and for was are its his her who which that with from this were have been into also than them they when where what their there after before about over under while".split(
    " ",
  ),
);

/**
 * Whether the question goes on to say what the description's head says (`The 1984 documentary film is a documentary
 * about …`, `The short story collection is a collection of short stories …`): a tautology no cut mends.
 */
export function restatesHead(description: string, question: string, mention: string): boolean {
  const phrase = HEAD_PHRASE.exec(description)?.[1] ?? "";
  const after = question.slice(question.indexOf(mention) + mention.length);
  // The head noun and the word before it (`documentary film`): either said again after `is a` restates the head.
  const nouns = phrase
    .split(/\s+/)
    .slice(-2)
    .filter((word) => /^[a-z]{4,}$/.test(word));
  return nouns.some((noun) =>
    new RegExp(`^\\s+(?:is|was|are|were)\\s+(?:a|an|the)\\s+(?:[^?,]*\\s)?${noun.replace(/s$/, "")}s?\\b`, "i").test(
      after,
    ),
  );
}

/** A description's head phrase: up to five words after `the`, before a clause, a preposition or a participle. */
const HEAD_PHRASE =
  /^the\s+((?:[\p{L}\p{N}'’-]+\s+){0,4}?[a-z]+)(?=\s+(?:who|which|that|by|of|in|from|with|born|released|directed|written)\b|$)/u;

/** The description without what repeats the question: cut before the repetition, or null when nothing is left. */
export function withoutRepetition(description: string, question: string, mention: string): string | null {
  if (restatesHead(description, question, mention)) return null;
  const at = Math.min(
    ...[repetitionIndex(description, question, mention), repeatedVerbIndex(description, question, mention)].map(
      (index) => (index < 0 ? Number.POSITIVE_INFINITY : index),
    ),
  );
  if (at === Number.POSITIVE_INFINITY) return description;
  const cut = cutBefore(description, at);
  return cut !== null && repetitionIndex(cut, question, mention) < 0 ? cut : null;
}

/**
 * Where the description repeats the verb just before the mention (`the person who introduced [the bill introduced in
 * the House]`); -1 when it does not.
 */
function repeatedVerbIndex(description: string, question: string, mention: string): number {
  const verb = /\b([a-z]{4,}ed)\s+(?:(?:the|a|an)\s+)?$/.exec(question.slice(0, question.indexOf(mention)))?.[1];
  return verb === undefined ? -1 : (new RegExp(`\\b${verb}\\b`).exec(description)?.index ?? -1);
}
