/**
 * Text helpers for rule-based synthesis: entity names and mentions, sentence splitting, defining-sentence
 * descriptions, capitalised name spans, and SailorFog-style vagueness (dates → periods, numbers → ranges,
 * names → partial hints). Pure functions.
 */
import { normalizeAnswer } from "../reward/normalize.js";
import { describesPerson, isPhrase } from "./mention-role.js";
import { cleanWikiText, decodeEntities } from "./wiki-clean.js";

export { decodeEntities };

/** A title without its disambiguation: `Kiss and Tell (1945 film)` → `Kiss and Tell`. */
/** A title's disambiguation: `Kiss and Tell (1945 film)` → `1945 film`; undefined without one. */
export function disambiguation(title: string): string | undefined {
  return /\(([^()]+)\)\s*$/.exec(title)?.[1]?.trim();
}

export function displayName(title: string): string {
  return decodeEntities(title)
    .replace(/\s*\([^)]*\)\s*$/, "")
    .replace(/,\s+[A-Z][a-z]+(?: [A-Z][a-z]+)?$/, (suffix) => (/^,\s+(Jr|Sr)/.test(suffix) ? suffix : ""))
    .trim();
}

function fold(text: string): string {
  return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The exact span of `question` that names `name` (case- and accent-insensitive, word-bounded), or null. */
export function findMention(question: string, name: string): string | null {
  const candidates = new Set<string>([name, decodeEntities(name)]);
  for (const candidate of [...candidates]) {
    if (/^the\s/i.test(candidate)) candidates.add(candidate.replace(/^the\s+/i, ""));
    candidates.add(candidate.replace(/&/g, "and"));
    candidates.add(candidate.replace(/\band\b/g, "&"));
  }
  const folded = fold(question);
  for (const candidate of [...candidates].sort((a, b) => b.length - a.length)) {
    if (candidate.trim().length < 2) continue;
    const pattern = new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(fold(candidate))}(?![\\p{L}\\p{N}])`, "iu");
    const match = pattern.exec(folded);
    if (match) return question.slice(match.index, match.index + match[0].length);
  }
  return null;
}

/**
 * Whether `needle` occurs in `haystack` as whole words after SQuAD normalisation; a possessive counts
 * (`Finland's` holds `Finland`).
 */
export function containsNormalized(haystack: string, needle: string): boolean {
  const normalizedNeedle = normalizeAnswer(fold(decodeEntities(needle)));
  if (normalizedNeedle === "") return false;
  const holds = (text: string) => ` ${normalizeAnswer(fold(decodeEntities(text)))} `.includes(` ${normalizedNeedle} `);
  if (holds(haystack)) return true;
  const withoutPossessives = haystack.replace(/(?<=\p{L})['’]s?(?=\s|$|[,.;:?!])/gu, "");
  return withoutPossessives !== haystack && holds(withoutPossessives);
}

const ABBREVIATIONS = /\b(?:[A-Z]|Mr|Mrs|Ms|Dr|St|Jr|Sr|Co|Inc|Ltd|Mt|No|U\.S|vs|etc|e\.g|i\.e|ca|c)\.$/;

export function splitSentences(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  const pattern = /[.!?]["”)]?\s+(?=["“(]?[A-Z0-9])/g;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    const candidate = text.slice(start, match.index + 1);
    if (ABBREVIATIONS.test(candidate)) continue;
    out.push(text.slice(start, match.index + match[0].trimEnd().length).trim());
    start = match.index + match[0].length;
  }
  const rest = text.slice(start).trim();
  if (rest) out.push(rest);
  return out.filter((sentence) => sentence.length > 0);
}

const PRONOUN_SUBJECT =
  /^(?:he|she|it|they|this|the (?:film|band|album|song|book|company|group|team|club|city|town|village|river|show|series|game|novel|station|school|university|species|magazine|newspaper))$/i;

/** Whether the subject of a defining sentence is the entity: it names it (or a distinctive word of it) or is a pronoun. */
export function subjectIsEntity(subject: string, name: string, sentenceIndex: number): boolean {
  const bare = subject.replace(/\s*\([^)]*\)/g, "").trim();
  const mention = findMention(bare, name);
  // `The Harris W. Fawell Congressional Papers are …`: a name modifying another noun is not the subject.
  if (mention) {
    const at = bare.indexOf(mention);
    return !(/^(?:the|a|an)\s+$/i.test(bare.slice(0, at)) && /^\s+\p{L}/u.test(bare.slice(at + mention.length)));
  }
  if (sentenceIndex > 0 && PRONOUN_SUBJECT.test(bare)) return true;
  const words = (text: string) =>
    fold(text)
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter((word) => word.length >= 4);
  // A subject naming the entity loosely (`Henry John Kaiser` for `Henry J. Kaiser`) holds every long word of its
  // name; one holding only some (`Private James Francis Ryan` for `Saving Private Ryan`) is about someone else.
  const nameWords = words(name);
  const subjectWords = new Set(words(bare));
  return nameWords.length > 0 && nameWords.every((word) => subjectWords.has(word));
}

export function wordCount(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

/** Cut at the last clause boundary (comma, semicolon, " and ", " which ", " who ") at or before `maxWords`. */
export function clip(text: string, maxWords: number): string {
  const words = text.split(/\s+/).filter(Boolean);
  if (words.length <= maxWords) return text.trim();
  const head = words.slice(0, maxWords).join(" ");
  const boundary = Math.max(
    // A comma inside a number (`100,000`) is none.
    [...head.matchAll(/,(?!\d)/g)].at(-1)?.index ?? -1,
    head.lastIndexOf(";"),
    head.lastIndexOf(" which "),
    head.lastIndexOf(" who "),
  );
  // Without a clause boundary the cut goes before the last preposition, never into a noun phrase (`… from his
  // seventh studio [album]`); not `of`, which holds a phrase or a name together (`the Minnesota House of …`).
  const preposition = Math.max(
    ...[" in ", " from ", " as ", " with ", " for ", " by ", " on ", " at "].map((mark) =>
      `${head} `.lastIndexOf(mark),
    ),
  );
  let cut =
    boundary > head.length * 0.4
      ? head.slice(0, boundary)
      : preposition > 0 && wordCount(head.slice(0, preposition)) >= 3
        ? head.slice(0, preposition)
        : head;
  // `… articles about housing segregation, the Nation of Islam[, the environment and …]`: a list cut in two goes.
  const list = LIST_FRAGMENT.exec(cut);
  if (list && wordCount(cut.slice(0, list.index)) >= 3) cut = cut.slice(0, list.index);
  return stripDanglingParticiples(stripDangling(cut));
}

/** A preposition whose object runs on after a comma with a lower-case word: the start of a list. */
const LIST_FRAGMENT =
  /\s(?:about|on|of|for|with|including|as|such as)\s[^,]*,\s+(?!(?:when|where|which|who|whom|whose|while|after|before|although|because|since|until|as|and|or|but|then|that|with|by|in|on|at|from|to|for)\b)[a-z][^,]*$/;

/** Drop participles and adverbs a cut left at the end (`… League based`, `… band originally formed`). */
export function stripDanglingParticiples(text: string): string {
  let out = text;
  for (let pass = 0; pass < 3; pass++)
    out = stripDangling(
      out
        .replace(/\s+(?:[a-z]{3,}(?:ed|ing)|[a-z]+ly)$/, "")
        .replace(IRREGULAR_PARTICIPLE, "")
        .replace(/\s+(?:best|well|also|most|later|still|often|once)$/, "")
        // `the war drama film set [in …]`: `set` after a work is the participle.
        .replace(/(?<=\b(?:film|novel|story|game|series|drama|show|book|play|opera))\s+set$/, "")
        // `located in the center [of Tenerife]`: a part of something, the something cut away, says nothing.
        .replace(EMPTY_PART, ""),
    );
  return out;
}

/** Past participles without `-ed` a cut may leave (`the ALA Notable Children's Book written [by …]`). */
const IRREGULAR_PARTICIPLE =
  /\s+(?:written|known|born|made|taken|given|sung|drawn|shown|grown|built|sold|told|begun|chosen|driven|spoken|worn|beaten|hidden|done|won|bought|brought|taught|fought|kept|paid|sent|spent|struck|bound)$/;

const DANGLING =
  /(?:[\s,;:(–-]+|\s(?:and|or|of|the|a|an|in|on|by|for|with|to|from|as|at|its|his|her|their|who|whom|whose|which|that))+$/i;

/** Remove trailing punctuation and function words left by a cut. */
export function stripDangling(text: string): string {
  return ` ${text}`.replace(DANGLING, "").trim();
}

/** Life dates of a person from a parenthetical: `(born July 16, 1966)` → `born in 1966`. */
export function lifeSpan(parenthetical: string): string | null {
  const years = [...parenthetical.matchAll(/\b(1[0-9]{3}|20[0-9]{2}|[1-9][0-9]{2})\b/g)].map(
    (match) => match[1] as string,
  );
  if (/\bborn\b/i.test(parenthetical) && years[0]) return `born in ${years[0]}`;
  if (/[–-]/.test(parenthetical) && years.length >= 2) return `who lived from ${years[0]} to ${years[1]}`;
  return null;
}

/**
 * A person's description with their life dates: merged with a birthplace (`the model born in Pennsylvania in 1970`),
 * before a relative clause (`the painter born in 1954 who wrote …`, not `… about her relationship born in 1954`),
 * joined to one (`the reporter who lived from 1930 to 2010 and wrote …`), else at the end.
 */
export function withLifeDates(description: string, life: string): string {
  if (/\bborn\b/.test(description) && life.startsWith("born in "))
    return `${description} ${life.replace(/^born /, "")}`;
  const clause = /\s(?:who|that|which|whose)\s/.exec(description);
  if (!clause) return `${description} ${life}`;
  // `the reporter who wrote articles` + `who lived from 1930 to 2010` → `the reporter who lived from 1930 to 2010 and
  // wrote articles`: one relative clause, not two.
  if (life.startsWith("who "))
    return /^\swho\s/.test(clause[0]) && !/^(?:is|was|has|had)\b/.test(description.slice(clause.index + 5))
      ? `${description.slice(0, clause.index)} ${life} and ${description.slice(clause.index + 5)}`
      : `${description} ${life}`;
  return `${description.slice(0, clause.index)} ${life}${description.slice(clause.index)}`;
}

export interface Description {
  /** Noun phrase starting with an article, e.g. `the 1945 American comedy film starring …`. */
  text: string;
  /** The passage sentence it was drawn from. */
  sentence: string;
}

const COPULA = /\s(?:is|was|are|were|has been|had been)\s+(?:(?:also|currently|formerly|now|once)\s+)?/;

/**
 * A description of an entity from the defining sentence of its own passage, the name removed: the predicate of
 * the first "X is/was …" sentence, with life dates from the opening parenthetical. Sentences that would reveal
 * any `forbidden` string (the answer, hidden names) are cut before it or skipped. Null when nothing usable remains.
 */
export function describeFromPassage(
  passageText: string,
  name: string,
  forbidden: readonly string[],
  maxWords = 22,
): Description | null {
  return describeCandidates(passageText, name, forbidden, maxWords)[0] ?? null;
}

/**
 * Every description the passage's first sentences give (in passage order): the defining sentence first, then later
 * "He / The film … was …" sentences — the second choice when the first one does not fit where it goes. The passage
 * is cleaned of wiki markup first; life dates are added only when the description names a person.
 */
export function describeCandidates(
  passageText: string,
  name: string,
  forbidden: readonly string[],
  maxWords = 22,
): Description[] {
  const out: Description[] = [];
  const sentences = splitSentences(cleanWikiText(passageText)).slice(0, 6);
  for (const [index, sentence] of sentences.entries()) {
    const copula = COPULA.exec(sentence);
    if (!copula) continue;
    const subject = sentence.slice(0, copula.index);
    if (!subjectIsEntity(subject, name, index)) continue;
    let predicate = sentence.slice(copula.index + copula[0].length).replace(/[.;:]\s*$/, "");
    predicate = predicate
      .replace(/\s*\([^)]*\)/g, "")
      .replace(/\s+/g, " ")
      // `the doctor and was Jim Robinson's second wife`: a second verb starts a second predicate.
      .replace(/,?\s+and\s+(?:is|was|are|were|has|had|became|becomes)\b.*$/, "")
      .trim();
    // A noun phrase: an article, a number or a capitalised word (not a passive verb: "was released on …").
    // A capitalised start must be a nationality ("American filmmaker"), not a name ("Tom Mees who …").
    if (!/^(?:(?:a|an|the|one|The|A|An|One)\s|\p{Lu}\p{Ll}+(?:an|ese|ish|ian|ean|ch|sh)\s)/u.test(predicate)) continue;
    if (!/^(?:a|an|any|the|one of)\s/i.test(predicate)) predicate = `the ${predicate}`;
    predicate = predicate.replace(/^(?:a|an|any|the)\s/i, "the ");
    const parenthetical = /\(([^)]*)\)/.exec(subject)?.[1];
    // Life dates go on after the cut before a hidden name, so a cut never takes them away.
    let cut = withoutForbidden(clip(predicate, maxWords), name, forbidden);
    if (cut === null || !isPhrase(cut)) continue;
    const life = parenthetical ? lifeSpan(parenthetical) : null;
    if (life && !cut.includes(life) && describesPerson(cut)) cut = withLifeDates(cut, life);
    if (!out.some((description) => description.text === cut)) out.push({ text: cut, sentence });
  }
  return out;
}

/**
 * A description with nothing forbidden in it: cut at a clause boundary before the entity's name or any forbidden
 * string — dropping the participle or relative pronoun the cut leaves (`the 1937 film directed by <hidden name>` →
 * `the 1937 film`) — with every quote closed; null when nothing is left or a forbidden string remains.
 */
export function withoutForbidden(text: string, name: string, forbidden: readonly string[]): string | null {
  const forbiddenCut = cutBeforeForbidden(text, [name, ...forbidden]);
  const cut = closedQuotes(
    forbiddenCut !== null && forbiddenCut !== text ? stripDanglingParticiples(forbiddenCut) : forbiddenCut,
  );
  if (cut === null || forbidden.some((value) => containsNormalized(cut, value)) || containsNormalized(cut, name))
    return null;
  return cut;
}

/** A cut description with every quote closed: cut before a quote left open (a title cut in two); null if none. */
function closedQuotes(text: string | null): string | null {
  if (text === null) return null;
  const straight = (text.match(/"/g) ?? []).length;
  const open = text.lastIndexOf("“");
  if (straight % 2 === 0 && (open < 0 || text.indexOf("”", open) > 0)) return text;
  const at = straight % 2 === 1 ? text.lastIndexOf('"') : open;
  const head = stripDangling(text.slice(0, at));
  return head.length > 0 ? head : null;
}

/** Cut the text at a clause boundary before the first forbidden string; null when too little is left. */
function cutBeforeForbidden(text: string, forbidden: readonly string[]): string | null {
  let out = text;
  for (const value of forbidden) {
    if (!containsNormalized(out, value)) continue;
    const mention = findMention(out, value);
    if (!mention) return null;
    const at = out.indexOf(mention);
    let head = out.slice(0, at);
    let boundary = lastBoundary(head);
    // `the Examination Yuan of the Republic of China`: the cut goes before the whole name, not into it.
    for (let owner = OF_OWNER.exec(head); owner !== null && boundary === head.length - 4; owner = OF_OWNER.exec(head)) {
      head = head.slice(0, boundary - (owner[1]?.length ?? 0));
      boundary = lastBoundary(head);
    }
    // `the production car drifting series`, `the rugby union and rugby league footballer`: a cut inside the head noun
    // phrase leaves a modifier without its noun.
    // (`the American filmmaker and video game writer`: a person noun before `and` is a noun of its own.)
    const coordinated = head.slice(boundary) === " and " && !describesPerson(lastWord(head.slice(0, boundary)));
    const inPhrase = boundary <= 0 || coordinated;
    const after = out.slice(at + mention.length);
    if (inPhrase && NOUN_AFTER.test(after)) {
      // `the 2000 Hong Kong action film`: a name that only modifies the noun is left out (`the 2000 action film`).
      if (boundary > 0 || !/^\p{Lu}/u.test(mention) || !/^\s+[a-z]/.test(after)) return null;
      out = `${head.trimEnd()}${after}`;
      continue;
    }
    const tail = LOOSE_MODIFIER_AFTER.exec(after);
    out = stripDangling(boundary > 0 ? head.slice(0, boundary) : head);
    // `an album by Ivor Cutler, originally released in 1983 …` → `the album originally released in 1983 …`: what a
    // comma sets off after the hidden name still describes the entity when the cut leaves only its kind.
    if (tail && wordCount(out) < 4 && /\s(?:by|of|from|with)\s$/.test(head)) out = `${out} ${tail[1]}`;
    // `the son of former Manchester United [and Denmark goalkeeper <hidden>]`: a modifier left without its noun.
    const orphan = ORPHAN_MODIFIER.exec(out);
    if (orphan) out = stripDangling(out.slice(0, orphan.index));
  }
  return out;
}

/** `, originally released in 1983 on …` after a name: a participle phrase about what the name's phrase belongs to. */
const LOOSE_MODIFIER_AFTER =
  /^,\s+((?:originally\s+|first\s+|later\s+)?(?:released|published|recorded|produced|directed|written|founded|formed|built|established|launched|issued)\s+(?:in|on|by|at|for)\s[^,;]*)/;

/** A lower-case word after a name that goes on with the noun phrase (not a preposition or a clause). */
const NOUN_AFTER =
  /^[\s-]+(?!(?:in|on|at|by|for|with|from|to|of|and|or|who|which|that|as|since|until|during|is|was|are|were)\b)[a-z]/;

const BOUNDARIES = [
  ",",
  " and ",
  " by ",
  " in ",
  " of ",
  " for ",
  " from ",
  " that ",
  " which ",
  " who ",
  " whose ",
  " with ",
  " starring ",
  " featuring ",
];

function lastWord(text: string): string {
  return text.trim().split(/\s+/).at(-1) ?? "";
}

function lastBoundary(head: string): number {
  return Math.max(...BOUNDARIES.map((mark) => head.lastIndexOf(mark)));
}

/** `the park located in the center [and north of La Gomera]` → `the park`: a part of nothing goes, with its participle. */
export function withoutEmptyPart(text: string): string {
  return EMPTY_PART.test(text) ? stripDanglingParticiples(text.replace(EMPTY_PART, "")) : text;
}

const EMPTY_PART =
  /\s+(?:in|at|on|near|to|from)\s+the\s+(?:[a-z]+\s+)?(?:center|centre|part|middle|heart|edge|end|side|top|bottom|rest|remainder|outskirts|north|south|east|west)$/;

/** A capitalised word run right before ` of ` (`Republic` in `the Republic of `): the first part of a name. */
const OF_OWNER = /\s(\p{Lu}[\p{L}'’-]*(?:\s+\p{Lu}[\p{L}'’-]*)*)\s+of\s+$/u;

const ORPHAN_MODIFIER =
  /\s(?:of|by|for|with|to|from)\s+(?:the\s+)?(?:former|late|then|fellow|future|current)\s+(?:\p{Lu}[\p{L}.'’-]*\s*)*$/u;

const SPAN_CONNECTORS = new Set([
  "of",
  "the",
  "and",
  "de",
  "du",
  "von",
  "van",
  "la",
  "le",
  "del",
  "da",
  "&",
  "for",
  "in",
  "on",
]);
const NOT_NAMES = new Set([
  "What",
  "Which",
  "Who",
  "Whom",
  "Whose",
  "When",
  "Where",
  "Why",
  "How",
  "Is",
  "Are",
  "Was",
  "Were",
  "Do",
  "Does",
  "Did",
  "The",
  "A",
  "An",
  "In",
  "On",
  "At",
  "Of",
  "For",
  "By",
  "This",
  "That",
  "These",
  "Those",
  "Both",
  "Name",
  "Between",
  "I",
  "It",
  "He",
  "She",
  "They",
  "His",
  "Her",
  "Their",
  "Its",
  "Can",
  "Could",
  "Has",
  "Have",
  "Had",
  "From",
  "As",
  "And",
  "Or",
  "But",
  "If",
  "Who's",
  "After",
  "Before",
  "During",
  "Since",
  "Although",
  "While",
  "Besides",
]);

/** Capitalised name spans and quoted titles in a question, longest first, without overlaps. */
export function namedSpans(text: string): string[] {
  const spans: { start: number; end: number }[] = [];
  for (const match of text.matchAll(/["“](\p{Lu}[^"”]{1,79})["”]/gu)) {
    spans.push({ start: (match.index ?? 0) + 1, end: (match.index ?? 0) + 1 + (match[1]?.length ?? 0) });
  }
  const tokens = [...text.matchAll(/[\p{L}\p{N}][\p{L}\p{N}'’.\-&]*/gu)];
  let index = 0;
  while (index < tokens.length) {
    const token = tokens[index] as RegExpMatchArray;
    const word = token[0].replace(/[.'’]+$/, "");
    const capitalised = /^\p{Lu}/u.test(word) && !NOT_NAMES.has(word);
    if (!capitalised) {
      index++;
      continue;
    }
    let last = index;
    let next = index + 1;
    while (next < tokens.length) {
      const candidate = (tokens[next] as RegExpMatchArray)[0].replace(/[.'’]+$/, "");
      const gap = text.slice(
        (tokens[next - 1]?.index ?? 0) + (tokens[next - 1]?.[0].length ?? 0),
        (tokens[next] as RegExpMatchArray).index,
      );
      if (/[,;:?!"“”()]/.test(gap)) break;
      const previous = (tokens[next - 1] as RegExpMatchArray)[0];
      if (/\.$/.test(previous) && !/^\p{Lu}\.$/u.test(previous) && !/^(?:St|Dr|Mr|Mrs|Jr|Sr|Mt)\.$/.test(previous))
        break;
      if (/^\p{Lu}/u.test(candidate) || /^\p{N}/u.test(candidate)) {
        last = next;
        next++;
        continue;
      }
      if (SPAN_CONNECTORS.has(candidate.toLowerCase()) && next + 1 < tokens.length) {
        const after = (tokens[next + 1] as RegExpMatchArray)[0];
        if (/^\p{Lu}/u.test(after)) {
          next++;
          continue;
        }
      }
      break;
    }
    const start = token.index ?? 0;
    if (last === index && /(?:^|[.?!]\s+)["“]?$/.test(text.slice(0, start))) {
      // A single capitalised word opening the sentence is most often an ordinary word ("Over", "Which").
      index = last + 1;
      continue;
    }
    const lastToken = tokens[last] as RegExpMatchArray;
    const end = (lastToken.index ?? 0) + lastToken[0].replace(/[.'’]+$/, "").length;
    spans.push({ start, end });
    index = last + 1;
  }
  spans.sort((a, b) => b.end - b.start - (a.end - a.start));
  const chosen: { start: number; end: number }[] = [];
  for (const span of spans)
    if (!chosen.some((other) => span.start < other.end && other.start < span.end)) chosen.push(span);
  chosen.sort((a, b) => a.start - b.start);
  return chosen
    .map((span) => text.slice(span.start, span.end).replace(/'s$/, "").trim())
    .filter((span) => span.length > 2);
}

export function periodOfYear(year: number): string {
  if (year < 1000) {
    const century = Math.floor(year / 100) + 1;
    const part = year % 100 < 34 ? "early" : year % 100 < 67 ? "mid" : "late";
    return `the ${part} ${ordinal(century)} century`;
  }
  const decade = Math.floor(year / 10) * 10;
  const part = year % 10 <= 3 ? "early" : year % 10 <= 6 ? "mid" : "late";
  return `the ${part === "mid" ? "mid-" : `${part} `}${decade}s`;
}

export function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? "th" : (["th", "st", "nd", "rd"][n % 10] ?? "th");
  return `${n}${n % 10 > 3 ? "th" : suffix}`;
}

export const MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December";

export interface VagueEdit {
  original: string;
  replacement: string;
  kind: "date-period" | "number-range";
}

/** Words before a number that make it already approximate (`over 60 million`): it is left as it is. */
const APPROXIMATE =
  /\b(?:over|about|around|nearly|almost|approximately|roughly|some|under|more than|less than|fewer than|at least|up to|at most|close to)\s+$/i;

/**
 * Whether the number at `offset` is part of a name, title, rank, id or compound rather than a value: inside quotes,
 * right after a capitalised word (`Top 40`, `Apollo 11`, `Euro 2016`), after `No.` / `#`, or joined by a hyphen
 * (`17-year-old`, `52-story`).
 */
function notAValue(whole: string, offset: number, length: number): boolean {
  const before = whole.slice(0, offset);
  const after = whole.slice(offset + length);
  if (/[-–]\s*$/.test(before) || /^[-–]/.test(after)) return true;
  if (/(?:\bNo\.|#)\s*$/.test(before)) return true;
  // A stage or a rank, not a quantity: `the round of 16`, `the last 32`, `under 21`.
  if (/\b(?:round of|last|top|under)\s+$/i.test(before)) return true;
  if (
    /(?:^|\s)\p{Lu}[\p{L}.]*\s+$/u.test(before) &&
    !/(?:^|\s)(?:In|On|By|Since|From|Until|During|Before|After|The|A|An)\s+$/.test(before)
  )
    return true;
  // A year or number right before a capitalised word that is not a nationality is part of a name
  // (`1920 Summer Olympics`, `2009 Eurovision Song Contest`), unlike `1945 American comedy film`.
  if (/^\s+\p{Lu}/u.test(after) && !/^\s+\p{Lu}\p{Ll}+(?:an|ese|ish|ian|ean|ch|sh)\b/u.test(after)) return true;
  const quotes = (before.match(/["“”]/g) ?? []).length;
  return quotes % 2 === 1;
}

/**
 * Dates → periods and quantities → ranges, e.g. `July 16, 1966` → `the mid-1960s`, `3,677` → `between 3,000 and
 * 4,000`, only where they are values: numbers in names, titles, ranks, ids and hyphenated compounds are kept, and so
 * are numbers already approximate (`over 60 million`). After `the`, the period drops its own article.
 */
export function vaguen(input: string): { text: string; edits: VagueEdit[] } {
  const edits: VagueEdit[] = [];
  // Idempotent: ranges and periods written by an earlier pass are masked, not made vaguer again.
  const masked: string[] = [];
  const text = input.replace(
    /between [\d,]+ and [\d,]+|the (?:early |mid-|late )(?:\d{3,4}s|\d+(?:st|nd|rd|th) century)|the (?:early|mid|late) \d+(?:st|nd|rd|th) century/g,
    (match) => {
      masked.push(match);
      return `\u0000${masked.length - 1}\u0000`;
    },
  );
  // `from June 25 to July 1, 1862` → `in the early 1860s`: a span of days within a year is one period.
  const daySpan = new RegExp(
    `\\bfrom (?:\\d{1,2} )?(?:${MONTHS})(?: \\d{1,2})? (?:to|until) (?:\\d{1,2} )?(?:${MONTHS})(?: \\d{1,2})?,? (1[0-9]{3}|20[0-9]{2})\\b`,
    "g",
  );
  const spanned = text.replace(daySpan, (match, year: string) => {
    const replacement = `in ${periodOfYear(Number(year))}`;
    edits.push({ original: match, replacement, kind: "date-period" });
    return replacement;
  });
  let out = spanned.replace(
    new RegExp(
      `\\b(?:(?:on )?(?:\\d{1,2} )?(?:${MONTHS})(?: \\d{1,2})?,? )?(?:in )?(1[0-9]{3}|20[0-9]{2})\\b(?!s|\\d|,\\d|\\s*[–-]\\s*\\d)`,
      "g",
    ),
    (match, year: string, offset: number, whole: string) => {
      const before = whole.slice(Math.max(0, offset - 2), offset);
      if (/[\p{L}/-]$/u.test(before.trimEnd()) && !before.endsWith(" ")) return match;
      const yearAt = offset + match.lastIndexOf(year);
      if (notAValue(whole, offset, match.length) && notAValue(whole, yearAt, year.length)) return match;
      // `Suicide's 1977 album`: a year owned by a possessive has no natural period form.
      if (/['’]s\s+$/.test(whole.slice(0, offset))) return match;
      // After a determiner (`the 1945 film`, `what 2017 film`) the period is attributive and drops its article.
      const afterThe = /\b(?:the|an?|what|which|whose|this|that|its|his|her|their)\s+$/i.test(
        whole.slice(Math.max(0, offset - 6), offset),
      );
      const hasDay = /[A-Za-z]/.test(match.replace(/^(?:in|on) /, ""));
      // `on October 22, 1930` → `in the early 1930s`; after `the` the period is attributive (`the early 2010s game`).
      const prefixed =
        !afterThe &&
        (/^(?:in|on) /.test(match) ||
          (hasDay &&
            !/\b(?:in|on|of|during|since|until|by|from|to)\s*$/i.test(whole.slice(Math.max(0, offset - 8), offset))));
      const period = periodOfYear(Number(year));
      const replacement = afterThe && !prefixed ? period.replace(/^the /, "") : `${prefixed ? "in " : ""}${period}`;
      edits.push({ original: match, replacement, kind: "date-period" });
      return replacement;
    },
  );
  out = out.replace(
    /(?<![\p{L}\p{N},.])(\d{1,3}(?:,\d{3})+|\d{2,})(?![\p{L}\p{N}]|,\d|\.\d| century|s\b)/gu,
    (match, number: string, offset: number, whole: string) => {
      if (/(?:early |mid-|late )$/.test(whole.slice(Math.max(0, offset - 6), offset))) return match;
      if (notAValue(whole, offset, match.length) || APPROXIMATE.test(whole.slice(Math.max(0, offset - 16), offset)))
        return match;
      // An attributive number after an article (`the 628 ft tall tower`) has no natural range form.
      if (/\b(?:the|a|an)\s+$/i.test(whole.slice(Math.max(0, offset - 4), offset))) return match;
      const value = Number(number.replace(/,/g, ""));
      if (!Number.isFinite(value) || value < 10) return match;
      if (/^(?:1[0-9]{3}|20[0-9]{2})$/.test(number)) return match; // a year kept as a year (in a name, after a name)
      // `from 855 until his death`: a three-digit number after a time preposition is a year, not a quantity.
      if (
        /^\d{3}$/.test(number) &&
        /\b(?:from|until|till|since|in|by|before|after|to)\s+$/i.test(whole.slice(0, offset))
      )
        return match;
      const magnitude = 10 ** Math.floor(Math.log10(value));
      const low = Math.floor(value / magnitude) * magnitude;
      const high = low + magnitude;
      const replacement = `between ${low.toLocaleString("en-US")} and ${high.toLocaleString("en-US")}`;
      edits.push({ original: match, replacement, kind: "number-range" });
      return replacement;
    },
  );
  out = out.replace(/\u0000(\d+)\u0000/g, (_, index: string) => masked[Number(index)] ?? "");
  out = out.replace(/\b([Aa]) early\b/g, "$1n early");
  return { text: out, edits };
}

/**
 * A person's initials as a hint, the only partial-name hint a person would give: `Corliss Archer` → `someone with
 * the initials C. A.`. Null for one-word names (a first letter is noise, not a hint).
 */
export function personHint(name: string): string | null {
  const words = decodeEntities(name)
    .split(/\s+/)
    .filter((word) => /^[\p{L}]/u.test(word) && !SPAN_CONNECTORS.has(word.toLowerCase()));
  if (words.length < 2 || words.length > 4) return null;
  return `someone with the initials ${words.map((word) => `${fold(word).charAt(0).toUpperCase()}.`).join(" ")}`;
}
