/**
 * Stage 2: progressive obfuscation into levels behind one interface.
 * - L1: the multi-hop question itself, normalised.
 * - L2: the chain entities the question names (topic / bridge / compared) replaced by descriptions drawn from
 *   their own evidence passages.
 * - L3: every named entity that can be obfuscated naturally (descriptions where a passage exists, a person's
 *   initials otherwise) plus vague attributes: dates → periods, numbers → ranges (SailorFog-QA style).
 * A description goes only where a noun phrase fits (src/synth/mention-role.ts): a possessive is rewritten
 * (`X's husband` → `the husband of …`), a pre-modifier or part of a longer title is left alone, and a description
 * that repeats the question's own words is replaced by the passage's next one.
 * `RuleObfuscator` needs no model; `LlmObfuscator` (llm-obfuscator.ts) rewrites for fluency.
 */
import nlp from "compromise";
import { contentWords, leakedAnswerWords } from "./answer-words.js";
import { clauseDescriptions, isField, kindOf, kindOfName, kindOfPronouns, kindOfTitle } from "./clause-descriptions.js";
import {
  describesPerson,
  endsOnNoun,
  mentionRole,
  possessedPhrase,
  type TaggedTerm,
  taggedTerms,
} from "./mention-role.js";
import { type Style, variantPlans } from "./rewrite-variants.js";
import {
  containsNormalized,
  decodeEntities,
  describeCandidates,
  disambiguation,
  displayName,
  findMention,
  namedSpans,
  personHint,
  stripDangling,
  stripDanglingParticiples,
  vaguen,
} from "./text.js";
import type { Chain, Level, ObfuscatedItem, Replacement } from "./types.js";
import { cleanWikiText } from "./wiki-clean.js";

/** A page the obfuscator may describe a non-chain name from (looked up in the corpus by title). */
export type PageLookup = (name: string) => Promise<{ passageId: string; title: string; text: string } | undefined>;

export interface ObfuscationContext {
  lookupPage?: PageLookup;
  signal?: AbortSignal;
  /**
   * How many distinct rewrites to return at most, the preferred one first (default 1). The pipeline checks them in
   * order and keeps the first that passes every check; an obfuscator may return fewer.
   */
  variants?: number;
}

export type ObfuscationResult =
  | { ok: true; item: ObfuscatedItem; alternatives?: ObfuscatedItem[] }
  | { ok: false; reason: string };

export interface Obfuscator {
  readonly name: string;
  obfuscate(chain: Chain, level: Level, context?: ObfuscationContext): Promise<ObfuscationResult>;
}

export function itemId(sourceId: string, level: Level): string {
  return `${sourceId}#L${level}`;
}

/** L1 normalisation: wiki markup cleaned, single spaces, no space before punctuation, a final question mark. */
export function normalizeQuestion(question: string): string {
  let out = cleanWikiText(question).replace(/\s+/g, " ").trim();
  out = out.replace(/\s+([?.,;:!])/g, "$1");
  if (!/[?.!]$/.test(out)) out = `${out}?`;
  return out.charAt(0).toUpperCase() + out.slice(1);
}

const GENERIC_HEAD =
  /(?:^|\s)(?:[Tt]he|[Aa]n?)\s+(?:(\d{4}|\p{Lu}\p{Ll}+)\s+)?((?:(?!of|in|on|by|who|whom|whose|which|that|where|when|for|with|from|to|at|as|and|or|is|was)[a-z][a-z-]*\s+){1,2})$/u;

/** `The Album Against the Wind`: a generic noun written with a capital, absorbed like `the album`. */
const TITLED_HEAD =
  /(?:^|\s)(?:[Tt]he|[Aa]n?)\s+(?:(\d{4})\s+)?((?:Album|Film|Song|Band|Book|Novel|Series|Show|Movie|Game|Single)\s+)$/;

/**
 * Replace `mention` in `question` by `replacement`, dropping quotes around it and a generic head just before it
 * (`the film Kiss and Tell` → `the 1945 American comedy film …`) since the description carries the type.
 */
export function replaceMention(question: string, mention: string, replacement: string): string | null {
  let start = question.indexOf(mention);
  if (start < 0) return null;
  let end = start + mention.length;
  const role = mentionRole(question, start, end);
  if (role === "pre-modifier" || role === "in-title") return null;
  // `the country Signmark is from` → `the country that the Finnish rapper is from`: the relative clause gets its `that`.
  if (role === "relative-subject")
    return `${question.slice(0, start)}that ${replacement}${question.slice(end)}`.replace(/\s+/g, " ");
  if (role === "possessive") {
    const owned = possessedPhrase(question, end);
    // `Poison's album "Shut Up, Make Love"`: `the album of <description> "…"` loses its title; left alone.
    if (!owned || /^\s*["“]/.test(question.slice(end + owned.length))) return null;
    const before = question.slice(0, start).replace(/\bthe\s+$/i, "");
    let text = `the ${owned.phrase} of ${replacement}`;
    if (before.trim() === "" || /[.?!]\s*$/.test(before)) text = text.charAt(0).toUpperCase() + text.slice(1);
    return `${before}${text}${question.slice(end + owned.length)}`.replace(/\s+/g, " ");
  }
  if (/["“]$/.test(question.slice(0, start)) && /^["”]/.test(question.slice(end))) {
    start -= 1;
    end += 1;
  }
  const before = question.slice(0, start);
  // `gets its coffee` → `gets its brewed drink`: after a possessive determiner the description drops its article.
  if (/\b(?:its|his|their|our|my|your|whose)\s+$/i.test(before) && /^(?:the|a|an)\s/i.test(replacement))
    return `${before}${replacement.replace(/^\S+\s+/, "")}${question.slice(end)}`.replace(/\s+/g, " ");
  if (/^someone\b/.test(replacement) && /\bthe\s+$/i.test(before)) {
    const kept = before.replace(/\bthe\s+$/i, "");
    const text = kept.trim() === "" ? `S${replacement.slice(1)}` : replacement;
    return `${kept}${text}${question.slice(end)}`.replace(/\s+/g, " ");
  }
  // `the village of Hope` → `the village in …` when the description starts with the same noun.
  const ofHead = /\b(?:the|a|an)\s+([a-z]+)\s+of\s+$/i.exec(before);
  if (ofHead && replacement.toLowerCase().startsWith(`the ${ofHead[1]?.toLowerCase()} `)) {
    const kept = before.slice(0, ofHead.index);
    const text = kept.trim() === "" ? replacement.charAt(0).toUpperCase() + replacement.slice(1) : replacement;
    return `${kept}${text}${question.slice(end)}`.replace(/\s+/g, " ");
  }
  const match = GENERIC_HEAD.exec(before) ?? TITLED_HEAD.exec(before);
  // A year or a nationality may open the head (`The English actor X`, `the 1984 film X`), not another name.
  // A verb among its words (`the country premiering X`) makes it a clause of its own, kept.
  const nounHead = match !== null && !/\b[a-z]+(?:ing|ed)\s/.test(match[2] ?? "");
  const head =
    match && nounHead && (match[1] === undefined || /^\d/.test(match[1]) || isDemonym(match[1])) ? match : null;
  let prefixEnd = start;
  const bare = head ? null : bareHead(before);
  if (bare !== null) {
    // `composer Mozart` → `the Austrian composer …`; `social anthropologists Alfred Gell` has no place for one.
    if (bare === "refuse" || !/^the\s/i.test(replacement)) return null;
    if (!new RegExp(`\\b${bare.noun}\\b`, "i").test(replacement)) return null;
    prefixEnd = bare.start;
  } else if (head && /^the\s/i.test(replacement)) prefixEnd = start - head[0].trimStart().length;
  else if (/(?:^|\s)the\s+$/i.test(before) && /^the\s/i.test(replacement))
    prefixEnd = before.replace(/the\s+$/i, "").length;
  let text = replacement;
  const tail = placeQualifier(question.slice(end), replacement);
  if (prefixEnd === 0 || /[.?!]\s*$/.test(question.slice(0, prefixEnd)))
    text = text.charAt(0).toUpperCase() + text.slice(1);
  return `${question.slice(0, prefixEnd)}${text}${tail}`.replace(/\s+/g, " ");
}

const PLACE_NAME = "\\p{Lu}[\\p{L}.'’-]*(?:\\s+\\p{Lu}[\\p{L}.'’-]*)*";
/** `, East Lothian, Scotland` before a lower-case word or the end: the last name is the one tagged as a place. */
const QUALIFIER = new RegExp(`^(?:,\\s+${PLACE_NAME})*,\\s+(${PLACE_NAME})(?=\\s+[a-z]|[?.!])`, "u");

/**
 * `Dirleton, East Lothian, Scotland` → `the village and parish in East Lothian, Scotland`: a place qualifying the
 * mention follows its description with `in` (unless the description already says where, or the names are a list).
 */
function placeQualifier(tail: string, replacement: string): string {
  const qualifier = QUALIFIER.exec(tail);
  if (!qualifier || /\s(?:in|near)\s/.test(replacement) || !isPlace(qualifier[1] as string)) return tail;
  if (/^,?\s+(?:and|or)\s/.test(tail.slice(qualifier[0].length))) return tail;
  return ` in${tail.slice(1)}`;
}

/**
 * The bare phrase right before the mention, with no article (`social anthropologists Alfred Gell`, `American actor
 * Tom Hanks`, `former President Richard Nixon`): nouns, adjectives and nationalities that make the mention's own head.
 * Its last noun (singular) and where it starts; `refuse` when a name is part of it (`New York Yankees player X`: a
 * description there would leave the name without its noun); null when there is none.
 */
function bareHead(before: string): { noun: string; start: number } | "refuse" | null {
  const terms = taggedTerms(before.trimEnd());
  const last = terms.at(-1);
  if (!last || !isBareWord(last) || !last.tags.includes("Noun") || !/^[a-z]/i.test(last.text)) return null;
  let first = terms.length - 1;
  while (first > 0 && isBareWord(terms[first - 1] as TaggedTerm)) first -= 1;
  // The phrase must start the clause (`did former President …`, `were social anthropologists …`); after anything
  // else it is the end of a longer noun phrase (`The 37th Disney animated feature film X`, `New York Yankees player X`).
  const previous = terms[first - 1];
  if (previous && !CLAUSE_START.test(previous.text)) return "refuse";
  return { noun: last.text.toLowerCase().replace(/(?<=[^s])s$/, ""), start: (terms[first] as TaggedTerm).start };
}

const CLAUSE_START =
  /^(?:of|in|on|at|by|for|with|from|to|as|about|between|than|and|or|but|both|either|neither|did|does|do|was|is|were|are|be|been|has|have|had|will|would|can|could|should|that|which|who|whom|where|when|what|how|why)[,]?$/i;

/** A word of a bare head: a lower-case noun or adjective, a nationality, or a title (`President`). */
function isBareWord(term: TaggedTerm): boolean {
  const excluded = ["Pronoun", "Preposition", "Verb", "Determiner", "Conjunction", "Adverb", "Value", "QuestionWord"];
  if (!/^[\p{L}-]+$/u.test(term.text) || /ing$/.test(term.text)) return false;
  if (term.tags.some((tag) => excluded.includes(tag))) return false;
  if (/^\p{Lu}/u.test(term.text)) return term.tags.includes("Demonym") || term.tags.includes("Actor");
  return term.tags.includes("Noun") || term.tags.includes("Adjective");
}

interface Target {
  mention: string;
  name: string;
  passageId: string | null;
  text: string | null;
  /** The page title (its disambiguation, e.g. `(1945 film)`, is a last-resort description). */
  title?: string;
}

function significantWords(text: string): string[] {
  return text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word.length >= 4);
}

/**
 * A named span of the question that names the entity loosely (`Vermont Catamounts men's soccer team` for
 * `Vermont Catamounts men's soccer`): it holds at least 3/4 of the name's significant words and most of its own
 * words are in the name.
 */
export function approximateMention(question: string, name: string): string | null {
  const nameWords = new Set(significantWords(name));
  if (nameWords.size < 2) return null;
  for (const span of namedSpans(question)) {
    const spanWords = significantWords(span);
    if (spanWords.length === 0) continue;
    const shared = spanWords.filter((word) => nameWords.has(word)).length;
    if (shared / nameWords.size >= 0.75 && shared / spanWords.length >= 0.6) return span;
  }
  return null;
}

const NAME_TAIL = /^(?:\s+(?:y|de|del|da|di|do|dos|von|van|der|den|la|le|du|bin|ibn)\s+\p{Lu}[\p{L}'’-]*)+/u;

/** `José Echegaray` in `José Echegaray y Eizaguirre or …`: the mention runs on to the end of the name it starts. */
function wholeName(question: string, mention: string): string {
  const at = question.indexOf(mention);
  const tail = at < 0 ? null : NAME_TAIL.exec(question.slice(at + mention.length));
  return tail ? `${mention}${tail[0]}` : mention;
}

function chainTargets(chain: Chain, question: string): Target[] {
  const out: Target[] = [];
  for (const entity of chain.entities) {
    // `Johnnycake, West Virginia`: the title's qualifier goes with the name when the question gives it.
    const title = decodeEntities(entity.title).replace(/\s*\([^)]*\)\s*$/, "");
    const mention =
      title.includes(",") && question.includes(title)
        ? title
        : entity.mention && question.includes(entity.mention)
          ? entity.mention
          : (findMention(question, entity.name) ?? approximateMention(question, entity.name));
    if (!mention || out.some((target) => target.mention === mention)) continue;
    const whole = wholeName(question, mention);
    if (out.some((target) => target.mention === whole)) continue;
    const passage = chain.passages[entity.passageId];
    const ownPassage = passage && displayName(passage.title).toLowerCase() === entity.name.toLowerCase();
    out.push({
      mention: whole,
      name: entity.name,
      passageId: ownPassage ? entity.passageId : null,
      text: ownPassage ? passage.text : null,
      ...(ownPassage ? { title: passage.title } : {}),
    });
  }
  return out;
}

const DEMONYMS = new Set([
  "French",
  "Dutch",
  "Greek",
  "Thai",
  "Swiss",
  "Welsh",
  "Czech",
  "Danish",
  "Polish",
  "Finnish",
]);

/** Single-word nationality / language adjectives ("Japanese", "American") are attributes, not entities. */
export function isDemonym(span: string): boolean {
  if (/\s/.test(span)) return false;
  return span.split("-").every((part) => DEMONYMS.has(part) || /^\p{Lu}\p{Ll}+(?:ese|ish|ian|ean|an)$/u.test(part));
}

async function spanTargets(
  question: string,
  known: readonly Target[],
  lookup: PageLookup | undefined,
  answer: string,
): Promise<Target[]> {
  const out: Target[] = [];
  for (const span of namedSpans(question)) {
    if (known.some((target) => target.mention.includes(span) || span.includes(target.mention))) continue;
    if (containsNormalized(answer, span)) continue;
    if (isDemonym(span)) continue;
    const page = await lookup?.(span);
    out.push({
      mention: span,
      name: span,
      passageId: page?.passageId ?? null,
      text: page?.text ?? null,
      ...(page ? { title: page.title } : {}),
    });
  }
  return out;
}

const CUT_BEFORE = /(?:,|\s(?:starring|featuring|by|in|of|from|for|with|and|at|on|to|under|whose|who|which|that))\s/gi;

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
const LIST = new RegExp(`:|${NAME},\\s+(?:[a-z]+\\s+)?${NAME},?\\s+(?:and\\s+)?(?:[a-z]+\\s+)?${NAME}`, "u");
/** Where a list is cut off: the last clause or preposition boundary before it (`and` joins the list's own roles). */
const LIST_BOUNDARY = /(?:,|\s(?:starring|featuring|by|in|of|from|for|with|at|on|to|under|whose|who|which|that))\s/gi;

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
  const roles = roleListStart(text);
  if (roles !== undefined) return stripDangling(text.slice(0, roles));
  const at = LIST.exec(text)?.index;
  if (at === undefined) return text;
  const head = text.slice(0, at);
  const boundary = [...head.matchAll(LIST_BOUNDARY)].at(-1)?.index ?? at;
  const out = stripDanglingParticiples(stripDangling(head.slice(0, boundary)));
  return out.split(/\s+/).length >= 3 && endsOnNoun(out) ? out : null;
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
    if (head.split(/\s+/).length >= 3 && endsOnNoun(head)) return match.index;
  }
  return undefined;
}

/** Places stay in L3 descriptions (`the four-piece rock band from North London`): an attribute, not a hidden name. */
function isPlace(span: string): boolean {
  return nlp(span).has("#Place");
}

/** `text` cut at the first clause or preposition boundary (after 3 words) before `index`; null when too short. */
export function cutBefore(text: string, index: number): string | null {
  const head = text.slice(0, index);
  // The first boundary after the head noun phrase (three words at least) keeps the phrase whole.
  const cut = [...head.matchAll(CUT_BEFORE)].find(
    (match) => head.slice(0, match.index).split(/\s+/).length >= 3,
  )?.index;
  const kept = stripDanglingParticiples(stripDangling(cut !== undefined ? head.slice(0, cut) : head));
  // `the river that rises [in …]`: a relative clause left with its verb alone says nothing.
  const out = stripDangling(kept.replace(/\s+(?:who|which|that)\s+[a-z]+$/, ""));
  return out.split(/\s+/).length >= 3 && endsOnNoun(out) ? out : null;
}

/** `text` cut at the last clause or preposition boundary before `index` (three words left at least); null if none. */
function cutAtLastBoundary(text: string, index: number): string | null {
  const head = text.slice(0, index);
  const boundary = [...head.matchAll(CUT_BEFORE)].at(-1)?.index;
  if (boundary === undefined) return null;
  const out = stripDangling(
    stripDanglingParticiples(stripDangling(head.slice(0, boundary))).replace(/\s+(?:who|which|that)\s+[a-z]+$/, ""),
  );
  return out.split(/\s+/).length >= 3 && endsOnNoun(out) ? out : null;
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
  return head.split(/\s+/).length >= 3 && endsOnNoun(head) ? head : null;
}

/** `the University`, `the Company` alone: the passage's short name for something named before it. */
const BACK_REFERENCE =
  /\bthe (?:University|College|School|Company|Corporation|Club|Group|Church|Party|Team|City|Town|State|Republic|Kingdom|Society|Association|Institute|Museum)\b(?!\s+(?:of\b|\p{Lu}))/u;

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
function withoutLeakedWords(text: string, answers: readonly string[], base: string): string | null {
  const leaked = leakedAnswerWords(text, answers, base);
  if (leaked.length === 0) return text;
  const words = [...text.matchAll(/[\p{L}\p{N}']+/gu)];
  const first = words.find((word) => leaked.some((leak) => [...contentWords(word[0])].includes(leak)));
  const cut = first?.index ? cutAtLastBoundary(text, first.index) : null;
  return cut !== null && leakedAnswerWords(cut, answers, base).length === 0 ? cut : null;
}

/** Where a description's head phrase may end: a clause, or a place or origin after the head noun. */
const HEAD_END = /(?:,|\s(?:who|which|that|whose|in|from|with))\s/g;

/**
 * The head phrase of a description (three words at least, ending on a noun): `the tributary of the Limpopo River in
 * Beitbridge District` → `the tributary of the Limpopo River`; null when there is no shorter one. Never cut at `of`
 * or `and`, which hold a phrase together (`the remainder of his life`, `the American rock and pop band`).
 */
function headPhrase(text: string): string | null {
  for (const match of text.matchAll(HEAD_END)) {
    // Inside a relative clause a cut changes what the clause says (`who spent the remainder of his life [in exile]`).
    if (/\s(?:who|which|that|whose)\s/.test(text.slice(0, match.index + 1))) return null;
    const head = stripDanglingParticiples(stripDangling(text.slice(0, match.index)));
    if (head.split(/\s+/).length >= 3 && endsOnNoun(head)) return head;
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
    const longPair = pair.every((word) => word.length >= 4) && rest.includes(` ${pair.join(" ")} `);
    const anyTriple =
      triple.length === 3 && !triple.every((word) => word.length <= 3) && rest.includes(` ${triple.join(" ")} `);
    if (longPair || anyTriple) return own[i]?.index ?? 0;
  }
  return -1;
}

/** The description without what repeats the question: cut before the repetition, or null when nothing is left. */
export function withoutRepetition(description: string, question: string, mention: string): string | null {
  const at = repetitionIndex(description, question, mention);
  if (at < 0) return description;
  const cut = cutBefore(description, at);
  return cut !== null && repetitionIndex(cut, question, mention) < 0 ? cut : null;
}

/**
 * Whether the mention names a person in the question, so initials fit it: compromise's people finder picks it out
 * and its first word is a known first name. A title first (`King Albert I`, `Admiral Twin`) gets no initials: a
 * king's are no hint, and the tagger takes many a place or a ship for a titled person.
 */
function namesPerson(question: string, mention: string): boolean {
  const first = nlp(mention).terms().first();
  if (!first.has("#FirstName") || first.has("#Honorific")) return false;
  // `the WNBA team Charlotte Sting`: a name after a noun that is not a person's is not a person's name.
  const before = /([a-z][a-z-]*)\s+$/.exec(question.slice(0, question.indexOf(mention)))?.[1];
  if (before && nlp(before).has("#Noun") && !describesPerson(before)) return false;
  return nlp(question)
    .people()
    .out("array")
    .some((person: string) => {
      const bare = person.replace(/[?,.;:!'’s]+$/, "");
      return bare.length > 2 && (mention.includes(bare) || bare.includes(mention));
    });
}

export interface RuleObfuscatorOptions {
  /** Longest description in words at L2 (default 22) and L3 (default 14). */
  maxWordsLevel2?: number;
  maxWordsLevel3?: number;
}

export class RuleObfuscator implements Obfuscator {
  readonly name = "rule";

  constructor(private readonly options: RuleObfuscatorOptions = {}) {}

  private get maxWordsLevel2(): number {
    return this.options.maxWordsLevel2 ?? 22;
  }

  /** The passage's descriptions that fit where the mention is, leak nothing and repeat nothing, best first. */
  private describe(
    target: Target,
    level: Level,
    plan: Plan,
    question: string,
    maxWords: number,
    vague = true,
  ): Rewrite[] {
    const out: Rewrite[] = [];
    for (const candidate of this.candidateTexts(target, level, plan, maxWords, vague)) {
      const repeated = candidate === null ? null : withoutRepetition(candidate, question, target.mention);
      const text = repeated === null ? null : withoutLeakedWords(repeated, plan.answers, plan.base);
      if (text === null) continue;
      if (out.some((option) => option.text === text)) continue;
      const next = replaceMention(question, target.mention, text);
      // The mention's role refuses every description alike (a pre-modifier, a title): none fits.
      if (next === null) return [];
      out.push({ text, question: next, kind: "entity-description" });
    }
    return out;
  }

  /**
   * The target's descriptions before they meet the question, best first; the same for every rewrite of one
   * (question, level), so they are made once (`plan.memo`).
   */
  private candidateTexts(
    target: Target,
    level: Level,
    plan: Plan,
    maxWords: number,
    vague: boolean,
  ): (string | null)[] {
    const key = `${target.mention}\u0000${level}\u0000${maxWords}\u0000${vague}`;
    const known = plan.memo.get(key);
    if (known) return known;
    const texts = this.describeAnew(target, level, plan, maxWords, vague);
    plan.memo.set(key, texts);
    return texts;
  }

  private describeAnew(target: Target, level: Level, plan: Plan, maxWords: number, vague: boolean): (string | null)[] {
    if (target.text === null) return [];
    const defining = describeCandidates(target.text, target.name, plan.forbidden, maxWords).map((c) => c.text);
    const kind =
      (defining[0] ? kindOf(defining[0]) : null) ??
      (target.title ? kindOfTitle(target.title) : null) ??
      kindOfPronouns(target.text, target.name) ??
      kindOfName(target.name);
    const candidates = [...defining, ...clauseDescriptions(target.text, target.name, kind, plan.forbidden, maxWords)]
      .map(withoutList)
      .filter((text): text is string => text !== null && !refersBack(text))
      .flatMap((text) => {
        const short = withoutAddOn(text);
        return short !== null && short !== text ? [short, text] : [text];
      });
    const titled = target.title ? titleKind(target.title) : null;
    // `Privilege (Ivor Cutler album)` → `the Ivor Cutler album` names what the description may not.
    if (titled && !plan.forbidden.some((value) => containsNormalized(titled, value))) candidates.push(titled);
    // L3 names nobody: descriptions without names first, then the others cut before their first name.
    if (level !== 3) return candidates;
    const made = candidates.map((text) => (vague ? vaguen(text).text : text));
    const cut = made.map(cutBeforeNames);
    const nameFree = made.filter((text, index) => cut[index] === text);
    // A description L3 leaves as L2 has it gets its head phrase next (`the secondary school located in the city of
    // Greenfield` → `the secondary school`), so the rewrite after one that repeats L2 says less than L2.
    const shorter = nameFree.flatMap((text) => {
      const head = candidates.includes(text) ? headPhrase(text) : null;
      return head !== null && head !== text ? [text, head] : [text];
    });
    return [...shorter, ...cut];
  }

  /**
   * What may replace the target: its descriptions, then (L3, a person's name) the person's initials; at L3 a name
   * off the chain may also stay as it is (the last option), which keeps a too vague question findable.
   */
  private optionsFor(
    target: Target,
    index: number,
    level: Level,
    plan: Plan,
    question: string,
    style: Style,
  ): Option[] {
    const out: Option[] =
      style === "long" && index < plan.chainTargetCount
        ? this.describe(target, 2, plan, question, this.maxWordsLevel2)
        : this.describe(target, level, plan, question, plan.maxWords, style !== "exact");
    if (level !== 3) return out;
    if (plan.people.has(target.mention)) {
      const hint = personHint(target.mention);
      const next = hint ? replaceMention(question, target.mention, hint) : null;
      if (hint !== null && next !== null) out.push({ text: hint, question: next, kind: "name-hint" });
    }
    if (index >= plan.chainTargetCount && out.length > 0) out.push({ text: target.mention, question, kind: "keep" });
    return out;
  }

  async obfuscate(chain: Chain, level: Level, context: ObfuscationContext = {}): Promise<ObfuscationResult> {
    const base = normalizeQuestion(chain.question);
    if (level === 1) return { ok: true, item: this.item(chain, level, base, []) };
    const plan = await this.plan(chain, level, base, context.lookupPage);
    if ("reason" in plan) return { ok: false, reason: plan.reason };
    const first = this.build(chain, level, plan, [], "short");
    if (!first.ok) return first;
    const wanted = (context.variants ?? 1) - 1;
    const alternatives: ObfuscatedItem[] = [];
    const seen = new Set([first.item.question]);
    let attempts = 0;
    for (const { choices, style } of variantPlans(plan.targets.length, level)) {
      if (alternatives.length >= wanted || attempts >= MAX_ATTEMPTS_PER_VARIANT * wanted) break;
      attempts += 1;
      const built = this.build(chain, level, plan, choices, style);
      if (!built.ok || seen.has(built.item.question)) continue;
      seen.add(built.item.question);
      alternatives.push(built.item);
    }
    return { ok: true, item: first.item, ...(alternatives.length > 0 ? { alternatives } : {}) };
  }

  /** The targets of a level and what no description may contain. */
  private async plan(
    chain: Chain,
    level: Level,
    base: string,
    lookupPage: PageLookup | undefined,
  ): Promise<Plan | { reason: string }> {
    let targets = chainTargets(chain, base);
    const chainTargetCount = targets.length;
    if (level === 3) targets = [...targets, ...(await spanTargets(base, targets, lookupPage, chain.answer))];
    else if (targets.length === 0) {
      const fallback = (await spanTargets(base, [], lookupPage, chain.answer)).find((target) => target.text !== null);
      if (fallback) targets = [fallback];
    }
    if (targets.length === 0) return { reason: "the question names no entity to obfuscate" };
    // No description names an entity of the chain (the answer, or a bridge the question leaves for the solver to
    // find: naming it would be a shortcut past a hop).
    const chainNames = chain.entities.map((entity) => entity.name);
    const forbidden = [
      chain.answer,
      ...chain.aliases,
      ...chainNames,
      ...targets.map((target) => target.name),
      ...targets.map((target) => target.mention),
    ];
    const maxWords = level === 2 ? this.maxWordsLevel2 : (this.options.maxWordsLevel3 ?? 14);
    const answers = [chain.answer, ...chain.aliases];
    const people = new Set(
      level === 3 ? targets.map((target) => target.mention).filter((mention) => namesPerson(base, mention)) : [],
    );
    return { base, targets, chainTargetCount, forbidden, answers, maxWords, people, memo: new Map() };
  }

  /**
   * One rewrite: target i takes its option number `choices[i]` (0, the best, when absent). A choice past the last
   * option makes no rewrite; a target with no option at all stays as it is.
   */
  private build(chain: Chain, level: Level, plan: Plan, choices: readonly number[], style: Style): ObfuscationResult {
    let question = plan.base;
    const replacements: Replacement[] = [];
    const noVariant = { ok: false as const, reason: "no such variant" };
    for (const [index, target] of plan.targets.entries()) {
      const choice = choices[index] ?? 0;
      const options = this.optionsFor(target, index, level, plan, question, style);
      const picked = options[choice];
      if (picked === undefined) {
        if (choice > 0) return noVariant;
        continue;
      }
      if (picked.kind === "keep") continue;
      question = picked.question;
      replacements.push(replacement(target, picked));
    }
    // No short, name-free description fits anywhere: L3 is then the long style, L2's descriptions made vague.
    if (level === 3 && style === "short" && replacements.length === 0)
      return this.build(chain, level, plan, choices, "long");
    if (level === 3) {
      const vague = style === "exact" ? { text: question, edits: [] } : vaguen(question);
      // L2's descriptions with nothing made vague are L2 again, not L3.
      if (
        style === "long" &&
        replacements.length > 0 &&
        replacements.every((r) => r.kind === "entity-description") &&
        vague.edits.length === 0
      )
        return { ok: false, reason: "no L3 beyond L2: no short description fits and nothing can be made vague" };
      question = vague.text;
      for (const edit of vague.edits)
        replacements.push({
          original: edit.original,
          replacement: edit.replacement,
          kind: edit.kind,
          passageId: null,
          entity: null,
        });
    }
    const described = replacements.some((r) => r.kind === "entity-description" || r.kind === "name-hint");
    // L3 of a question no entity of which can be described: its values made vague, when there are any.
    if (!described && !(level === 3 && replacements.length > 0))
      return { ok: false, reason: "no entity could be described without revealing the answer or its name" };
    return { ok: true, item: this.item(chain, level, question, replacements) };
  }

  private item(chain: Chain, level: Level, question: string, replacements: Replacement[]): ObfuscatedItem {
    const hiddenNames = replacements
      .filter((r) => r.entity !== null && r.kind !== "date-period")
      .map((r) => r.entity as string);
    return {
      id: itemId(chain.sourceId, level),
      sourceId: chain.sourceId,
      level,
      question: normalizeQuestion(question),
      answer: chain.answer,
      obfuscator: this.name,
      replacements,
      hiddenNames: [...new Set(hiddenNames)],
    };
  }
}

/** Choice vectors tried per variant wanted before giving up (many make no rewrite or repeat another). */
const MAX_ATTEMPTS_PER_VARIANT = 4;

interface Plan {
  base: string;
  targets: Target[];
  /** The first `chainTargetCount` targets are chain entities; the rest are other names (L3). */
  chainTargetCount: number;
  forbidden: string[];
  answers: string[];
  maxWords: number;
  /** Mentions that name a person (L3: their initials are an option). */
  people: Set<string>;
  /** Candidate descriptions already made, by target, level, length and vagueness (see candidateTexts). */
  memo: Map<string, (string | null)[]>;
}

/** A text that replaces a target, with the question it gives. */
interface Rewrite {
  text: string;
  question: string;
  kind: "entity-description" | "name-hint";
}

/** One choice for a target: a rewrite, or (a name off the chain at L3) keeping the name. */
type Option = Rewrite | { text: string; question: string; kind: "keep" };

function replacement(target: Target, option: Rewrite): Replacement {
  return {
    original: target.mention,
    replacement: option.text,
    kind: option.kind,
    passageId: option.kind === "entity-description" ? target.passageId : null,
    entity: target.name,
  };
}
