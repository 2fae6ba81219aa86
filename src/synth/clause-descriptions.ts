/**
 * Descriptions from the sentences of an entity's passage that do not define it with "X is a …": an apposition
 * (`Winner, a South Korean boy group, …` → `the South Korean boy group`) and a verb clause made a relative one on the
 * entity's kind (`It was released on 19 August 2014.` → `the album released on 19 August 2014`; `He founded Kaiser
 * Shipyards.` → `the industrialist who founded Kaiser Shipyards`). The kind is the head noun of the entity's own
 * defining description or of its title's disambiguation; without a kind no clause description is made.
 * Tags come from compromise, as in mention-role.ts.
 */
import nlp from "compromise";
import { describesPerson, isPhrase, personNoun, type TaggedTerm, taggedTerms } from "./mention-role.js";
import {
  clip,
  disambiguation,
  MONTHS,
  splitSentences,
  stripDangling,
  subjectIsEntity,
  withoutEmptyPart,
  withoutForbidden,
  wordCount,
} from "./text.js";
import { cleanWikiText } from "./wiki-clean.js";

const FUNCTION_TAGS = ["Verb", "Preposition", "Conjunction", "Determiner", "Pronoun"];
/** Words the tagger sometimes folds into a place name (`city of France`). */
const FUNCTION_WORDS = /^(?:of|in|on|at|by|for|with|from|to|and|or|as|the|a|an)$/;

/** A relative pronoun or a preposition: where a description's head phrase ends. */
const CLAUSE_WORD = /^(?:that|which|who|whom|whose|of|in|on|at|by|for|with|from|to)$/;

/**
 * The head noun of a description: its first person noun (`the Scottish film and television director` →
 * `director`), else the last one or two lower-case nouns before the first verb, preposition, conjunction or comma
 * (`the 1945 American comedy film starring …` → `comedy film`); null when there is none.
 */
export function kindOf(description: string): string | null {
  // `one of the artists …` names a group, not the entity's kind.
  if (/^one of\b/i.test(description)) return null;
  const person = personNoun(description);
  if (person) return person;
  const nouns: string[] = [];
  for (const term of taggedTerms(description.replace(/^(?:the|a|an)\s+/i, ""))) {
    const word = term.text.replace(/[,;:.]+$/, "");
    const noun =
      /^[a-z][a-z-]*$/.test(word) &&
      !FUNCTION_WORDS.test(word) &&
      term.tags.includes("Noun") &&
      !term.tags.some((tag) => FUNCTION_TAGS.includes(tag));
    // A relative pronoun or a preposition ends the head phrase, nouns found or not (`… magazine that focuses on …`).
    if (!noun && CLAUSE_WORD.test(word)) break;
    if (noun) nouns.push(word);
    else if (nouns.length > 0) break;
    if (term.text !== word) break;
  }
  if (nouns.length === 0) return headWordBeforeClause(description);
  return nouns.slice(-2).join(" ");
}

/**
 * The word before a description's first relative pronoun or preposition, when it reads as a noun after `the` (the
 * tagger takes `magazine` in `American biweekly magazine that …` for a verb); null otherwise.
 */
function headWordBeforeClause(description: string): string | null {
  const words = description.replace(/^(?:the|a|an)\s+/i, "").split(/\s+/);
  const end = words.findIndex((word) => CLAUSE_WORD.test(word));
  const word = words[(end < 0 ? words.length : end) - 1]?.replace(/[,;:.]+$/, "") ?? "";
  return /^[a-z][a-z-]+$/.test(word) && nlp(`the ${word}`).terms().last().has("#Noun") ? word : null;
}

/** `(Texas)` is no kind; `(1945 film)` → `film`, `(band)` → `band`. */
export function kindOfTitle(title: string): string | null {
  const inside = disambiguation(title);
  if (!inside || /^\p{Lu}/u.test(inside)) return null;
  const word = inside.split(/\s+/).at(-1) ?? "";
  return /^[a-z][a-z-]+$/.test(word) && !isField(word) ? word : null;
}

/**
 * Places and buildings whose facts hold in the present tense (`the river that rises in …`, `the farm that consists of
 * 107 wind turbines`), unlike a work's plot or a genus's count.
 */
const LASTING_KINDS =
  /\b(?:river|lake|mountain|island|bay|canal|highway|railway|road|valley|peninsula|glacier|waterfall|airport|bridge|castle|station|museum|park|church|cathedral|palace|tower|stadium|arena|dam|farm|hospital|library|mall|hotel)$/;

const NAME_HEADS: Record<string, string> = {
  river: "river",
  lake: "lake",
  mountain: "mountain",
  mount: "mountain",
  airport: "airport",
  airways: "airline",
  airlines: "airline",
  bridge: "bridge",
  castle: "castle",
  township: "township",
  county: "county",
  station: "station",
  museum: "museum",
  park: "park",
  island: "island",
  bay: "bay",
  church: "church",
  cathedral: "cathedral",
  palace: "palace",
  tower: "tower",
  stadium: "stadium",
  arena: "arena",
  dam: "dam",
  canal: "canal",
  highway: "highway",
  railway: "railway",
  school: "school",
  college: "college",
  university: "university",
  hospital: "hospital",
  records: "record label",
  festival: "festival",
  award: "award",
  prize: "prize",
  library: "library",
  mall: "mall",
  hotel: "hotel",
  theatre: "theatre",
  theater: "theater",
  magazine: "magazine",
  newspaper: "newspaper",
  farm: "farm",
};

/**
 * A kind from the entity's own name when its passage gives none (`Tekezé River` → `river`, `Novair International
 * Airways` → `airline`, `Lake Tana` → `lake`): the name's generic last word, or first for lakes and mountains.
 */
export function kindOfName(name: string): string | null {
  const words = name.split(/\s+/);
  if (words.length < 2) return null;
  const last = NAME_HEADS[(words.at(-1) ?? "").toLowerCase()];
  if (last) return last;
  const first = (words[0] ?? "").toLowerCase();
  return first === "lake" || first === "mount" ? (NAME_HEADS[first] ?? null) : null;
}

/**
 * A person's kind when nothing else gives one (`Fawell is a graduate of … He attended …` → `man`): the passage goes
 * on with `He` / `She` and names the entity by a person's name (the tagger's, or its surname opening a sentence).
 */
export function kindOfPronouns(passageText: string, name: string): string | null {
  const sentences = splitSentences(cleanWikiText(passageText)).slice(0, 6);
  const pronoun = (word: string) => sentences.slice(1).filter((sentence) => sentence.startsWith(`${word} `)).length;
  const he = pronoun("He");
  const she = pronoun("She");
  if (he === she) return null;
  const surname = name.split(/\s+/).at(-1) ?? name;
  const opensWithName = (sentence: string) => sentence.startsWith(`${surname} `) || sentence.startsWith(`${name} `);
  const person = nlp(name).has("#Person") || (/\s/.test(name) && sentences.some(opensWithName));
  return person ? (he > she ? "man" : "woman") : null;
}

/** A sport or a field (`David Jones (rugby)`): what the entity does, not what it is. */
const FIELDS =
  /^(?:rugby|football|soccer|cricket|baseball|basketball|hockey|tennis|golf|boxing|cycling|athletics|wrestling|swimming|rowing|sailing|chess|music|art|politics|science|mathematics|physics|chemistry|biology|philosophy|religion|journalism|business)$/;

export function isField(word: string): boolean {
  return FIELDS.test(word.toLowerCase());
}

const SUBJECT_WORDS = 8;
const APPOSITION = /^([^,]{2,80}?),\s+(?:a|an|the)\s+([^,;]+?),/;

/** The sentence's subject and verb clause, when the sentence opens with a short subject followed by its verb. */
function splitClause(sentence: string): { subject: string; clause: string; verbs: TaggedTerm[] } | null {
  const tagged = taggedTerms(sentence);
  const first = tagged.findIndex((term) => term.tags.includes("Verb"));
  if (first <= 0 || first > SUBJECT_WORDS) return null;
  const start = tagged[first]?.start ?? 0;
  const subject = sentence.slice(0, start).trim();
  if (/[,;]/.test(subject)) return null;
  return { subject, clause: sentence.slice(start), verbs: tagged.slice(first, first + 3) };
}

const COPULA_WORDS = /^(?:is|was|are|were|be|been|being)$/i;
const HAVE_WORDS = /^(?:has|have|had)$/i;

/**
 * The clause as a post-modifier of the kind: a passive participle stays reduced (`released in 2014`), an active
 * past-tense verb gets `who`/`that` (`that won the award`), a present one only for a place (`the river that rises
 * in …`); a copula before anything else (`is a …`, `was located` aside) gives nothing.
 */
function relativeClause(clause: string, verbs: TaggedTerm[], person: boolean, lasting: boolean): string | null {
  const [first, second] = verbs;
  if (!first) return null;
  const word = (term: TaggedTerm | undefined) => term?.text.replace(/[,;:.]+$/, "") ?? "";
  if (COPULA_WORDS.test(word(first))) {
    if (!second?.tags.includes("PastTense") || !second.tags.includes("Verb")) return null;
    return clause.slice(clause.indexOf(second.text));
  }
  const relative = person ? "who" : "that";
  if (HAVE_WORDS.test(word(first)))
    return second?.tags.includes("PastTense") && !COPULA_WORDS.test(word(second)) ? `${relative} ${clause}` : null;
  // `It rises in the Ethiopian Highlands` → `the river that rises in …`: of a place, a present tense holds as well
  // (of a film or a genus it tells the plot or a count: `that follows …`, `that contains about 50 species`).
  const present = lasting && first.tags.includes("PresentTense") && /s$/.test(word(first));
  const tensed = first.tags.includes("PastTense") || present;
  return tensed ? `${relative} ${clause}` : null;
}

/** A clause cut at its first coordination or comma after two words, so one predicate is kept. */
function firstPredicate(clause: string): string {
  const cut = /(?:,|;|\s(?:and|but|while|whereas|although|where)\s)/g;
  for (const match of clause.matchAll(cut)) {
    const head = clause.slice(0, match.index);
    // `on August 12, 2014`: the comma of a date is no boundary.
    if (/\d$/.test(head) && /^,\s*\d{4}\b/.test(clause.slice(match.index))) continue;
    if (wordCount(head) >= 2) return head;
  }
  return clause;
}

/** A date cut before its year (`released on August 12`) says less than it seems to. */
const DATE_WITHOUT_YEAR = new RegExp(`\\b(?:${MONTHS})\\s+\\d{1,2}$|\\b\\d{1,2}\\s+(?:${MONTHS})$`);

/** Apposition and verb-clause descriptions of the entity from its passage's first sentences, in passage order. */
export function clauseDescriptions(
  passageText: string,
  name: string,
  kind: string | null,
  forbidden: readonly string[],
  maxWords: number,
): string[] {
  const out: string[] = [];
  const sentences = splitSentences(cleanWikiText(passageText)).slice(0, 6);
  const keep = (text: string) => {
    const cut = withoutForbidden(clip(withoutEmptyPart(text), maxWords), name, forbidden);
    if (cut === null || !isPhrase(cut) || DATE_WITHOUT_YEAR.test(cut)) return;
    if (!out.includes(cut)) out.push(cut);
  };
  for (const [index, raw] of sentences.entries()) {
    const sentence = raw.replace(/\s*\([^)]*\)/g, "").replace(/[.!]\s*$/, "");
    const apposition = APPOSITION.exec(sentence);
    if (apposition && subjectIsEntity(apposition[1] as string, name, index)) keep(`the ${apposition[2]}`);
    if (kind === null) continue;
    // `However, Strauss died in 1899, and it was finished by composer Josef Bayer in 1900`: each clause with a
    // subject of its own is tried (the pronoun of a later clause counts as in a later sentence).
    for (const [part, clauseText] of coordinateClauses(sentence).entries()) {
      const split = splitClause(clauseText);
      if (!split || !subjectIsEntity(split.subject, name, index + part)) continue;
      // `He had written all the parts of the ballet`: `he` is someone else when the entity is no person, `it` when it is.
      const person = describesPerson(kind.split(" ").at(-1) ?? kind);
      if (person ? /^it$/i.test(split.subject) : /^(?:he|she)$/i.test(split.subject)) continue;
      const clause = relativeClause(firstPredicate(split.clause), split.verbs, person, LASTING_KINDS.test(kind));
      if (clause !== null) keep(stripDangling(`the ${kind} ${clause}`));
    }
  }
  return out;
}

/** A sentence's coordinated clauses (`A, and it …`, `A; it …`), an opening adverb (`However,`) dropped. */
function coordinateClauses(sentence: string): string[] {
  const parts = sentence
    .replace(/^(?:However|Later|Eventually|Meanwhile|Subsequently),\s+/, "")
    .split(/,\s+and\s+(?=(?:it|he|she|they)\s)|;\s+/);
  return parts.map((part) => part.trim()).filter((part) => part !== "");
}

/**
 * The entity's kind from its defining sentence even when the description it gives is too short to use (`Aschenbrödel
 * is a ballet written by Johann Strauss II`, the composer hidden → `ballet`); null without one.
 */
export function definingKind(passageText: string, name: string): string | null {
  for (const [index, sentence] of splitSentences(cleanWikiText(passageText)).slice(0, 3).entries()) {
    const copula = /\s(?:is|was)\s+(?:an?|the)\s/.exec(sentence);
    if (!copula || !subjectIsEntity(sentence.slice(0, copula.index), name, index)) continue;
    const predicate = sentence.slice(copula.index + copula[0].length);
    const kind = kindOf(`the ${predicate}`);
    // `a production car drifting series`: the noun phrase goes on past a gerund, its head is not yet found.
    const after = kind === null ? "" : predicate.slice(predicate.indexOf(kind) + kind.length);
    return kind !== null && !/^\s+[a-z]+ing\s+[a-z]/.test(after) ? kind : null;
  }
  return null;
}
