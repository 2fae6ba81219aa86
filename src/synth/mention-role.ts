/**
 * The grammatical role of an entity mention in a question, so a description is put only where a noun phrase fits:
 * - `head`: the mention is a noun phrase of its own (subject, object, after a preposition) — replace it;
 * - `possessive`: `X's Y` — rewrite as `the Y of <description>`;
 * - `pre-modifier`: the mention modifies a following noun (`the Anchorage radio station`, `the House of Commons
 *   representative`) — a description there would give a phrase with two heads, so it is not replaced;
 * - `in-title`: the mention is part of a longer quoted title — not replaced;
 * - `relative-subject`: the mention is the subject of a reduced relative clause after a noun (`the town Buloburde is
 *   located in`): a description there would run into the noun before it, so it goes in with `that` (`the town that
 *   the … is located in`).
 * Part-of-speech tags come from compromise (a rule-based English tagger on npm: small, no model files, fast enough
 * to tag every candidate question; wink-nlp needs a separate model package for the same tags).
 */
import nlp from "compromise";

export type MentionRole = "head" | "possessive" | "pre-modifier" | "in-title" | "relative-subject";

/** A term of a text with its part-of-speech tags and where it starts. */
export interface TaggedTerm {
  text: string;
  tags: string[];
  start: number;
}

export function taggedTerms(text: string): TaggedTerm[] {
  const json = nlp(text).terms().json({ offset: true }) as {
    text: string;
    offset: { start: number };
    terms: { tags: string[] }[];
  }[];
  return json.map((term) => ({ text: term.text, tags: term.terms[0]?.tags ?? [], start: term.offset.start }));
}

function insideLongerQuote(question: string, start: number, end: number): boolean {
  for (const match of question.matchAll(/["“]([^"”]+)["”]/g)) {
    const quoteStart = (match.index ?? 0) + 1;
    const quoteEnd = quoteStart + (match[1]?.length ?? 0);
    if (quoteStart <= start && end <= quoteEnd && quoteEnd - quoteStart > end - start) return true;
  }
  return false;
}

/** A verb's bare form (`dissolve`, `split`), by its tags here or, the tagger being unsure, on its own. */
function isBareVerb(word: string, tags: string[]): boolean {
  if (!/^[a-z]+$/.test(word)) return false;
  return tags.includes("Infinitive") || (!tags.includes("Verb") && nlp(word).has("#Infinitive"));
}

/** The role of `question.slice(start, end)`. */
export function mentionRole(question: string, start: number, end: number): MentionRole {
  if (insideLongerQuote(question, start, end)) return "in-title";
  // `Rabat-Salé-Kénitra`: a name joined to others by hyphens is part of a longer name.
  if (question.charAt(end) === "-" || question.charAt(start - 1) === "-") return "in-title";
  const after = question.slice(end);
  if (/^['’]s?(?=\s)/.test(after)) return "possessive";
  // `the album of X "Shut Up, Make Love"`: X owns the title after it.
  if (/^\s+["“]/.test(after)) return "pre-modifier";
  if (/\b(?:the|a|an)\s+[a-z][a-z-]+\s+$/i.test(question.slice(0, start)) && /^\s+[a-z]/.test(after)) {
    // … and its clause has a verb and no noun (`is located in?`, `was born`, `is from`).
    const clause = /^[^?,.;]*/.exec(after)?.[0] ?? "";
    const terms = taggedTerms(question).filter((term) => term.start >= end && term.start < end + clause.length);
    const isNoun = (term: TaggedTerm) =>
      term.tags.includes("Noun") || nlp(term.text.replace(/[?,.;:!]+$/, "")).has("#Noun");
    if (terms[0]?.tags.includes("Verb") && !terms.some(isNoun)) return "relative-subject";
    // `did the company X is part of dissolve?`: a preposition stranded before the main verb ends the clause.
    const stranded = terms.some((term, index) => {
      const next = terms[index + 1]?.text.replace(/[?,.;:!]+$/, "");
      return term.tags.includes("Preposition") && next !== undefined && isBareVerb(next, terms[index + 1]?.tags ?? []);
    });
    if (terms[0]?.tags.includes("Verb") && stranded) return "relative-subject";
  }
  if (!/^\s+[a-z]/.test(after)) return "head";
  const next = taggedTerms(question).find((term) => term.start >= end);
  if (!next) return "head";
  // A word the tagger calls a noun here but a verb on its own (`did Richard Nixon retire`) is taken as the verb.
  const word = next.text.replace(/[?,.;:!]+$/, "");
  const noun =
    next.tags.includes("Noun") &&
    !next.tags.some((tag) => ["Pronoun", "Possessive"].includes(tag)) &&
    // A lower-case word the tagger folds into a preceding name (`Will & Grace episode`) is a common noun all the same.
    (!next.tags.includes("ProperNoun") || /^[a-z]/.test(word)) &&
    !nlp(word).has("#Verb");
  const adjectiveThenNoun = next.tags.includes("Adjective") && /^\s+[a-z-]+\s+[a-z]/.test(after);
  return noun || (adjectiveThenNoun && !next.tags.includes("Comparable")) ? "pre-modifier" : "head";
}

/** An auxiliary that opens the mention's clause (`Who did …`, `What will …`): its main verb comes after the subject. */
const AUXILIARY_BEFORE =
  /\b(?:did|does|do|will|would|can|could|should)\s+(?:(?!who\b|which\b|that\b|where\b|when\b)[^,;?])*$/i;

/**
 * The noun phrase owned by a possessive mention (`'s first husband` → `first husband`): up to four lower-case
 * adjectives / nouns / ordinals, ending on a noun; null when there is none.
 */
export function possessedPhrase(question: string, end: number): { phrase: string; length: number } | null {
  const match = /^(['’]s?\s+)/.exec(question.slice(end));
  if (!match) return null;
  const start = end + (match[1]?.length ?? 0);
  const terms = taggedTerms(question).filter((term) => term.start >= start);
  const words: TaggedTerm[] = [];
  for (const term of terms.slice(0, 4)) {
    const word = term.text.replace(/[?,.;:!]+$/, "");
    if (!/^[a-z][a-z-]*$/.test(word)) break;
    if (
      !term.tags.some((tag) => ["Noun", "Adjective", "Ordinal", "Value"].includes(tag)) ||
      term.tags.includes("Pronoun")
    )
      break;
    words.push({ ...term, text: word });
    if (term.text !== word) break;
  }
  while (words.length > 0 && !words[words.length - 1]?.tags.includes("Noun")) words.pop();
  // `Who did Barry Wesson's team play …`: after an auxiliary the question's own verb follows the phrase.
  const last = words.at(-1);
  if (words.length > 1 && last && AUXILIARY_BEFORE.test(question.slice(0, end)) && nlp(last.text).has("#Verb"))
    words.pop();
  if (words.length === 0) return null;
  const final = words[words.length - 1] as TaggedTerm;
  let phrase = words.map((word) => word.text).join(" ");
  let stop = final.start + final.text.length;
  // `Gisvi's city of birth` → `the city of birth of …`: a closing `of <word>` belongs to the phrase.
  const ofWord = /^\s+of\s+([a-z]+)(?=\s*[?,.;:!]|$)/.exec(question.slice(stop));
  if (ofWord) {
    phrase = `${phrase} of ${ofWord[1]}`;
    stop += ofWord[0].length;
  }
  return { phrase, length: stop - end };
}

/** Whether a description names a person (its head is a person noun), so life dates and person hints fit it. */
export function describesPerson(description: string): boolean {
  if (PERSON_NOUNS.test(description)) return true;
  return nlp(description).has("#Actor");
}

/** The first person noun of a description (`the Scottish film and television director` → `director`), or null. */
export function personNoun(description: string): string | null {
  // Only the head phrase counts: `the third studio album by English singer …` is an album.
  const head = description.split(/,|\s(?:by|of|from|for|with|who|which|that|whose|in|on|at|to)\s/)[0] ?? description;
  for (const match of head.matchAll(new RegExp(PERSON_NOUNS.source, "gi"))) {
    // `the boy group`, `the general election`: a person noun modifying another noun is no person.
    const next = /^\s+([a-z][a-z-]*)/.exec(head.slice((match.index ?? 0) + match[0].length))?.[1];
    if (next && nlp(next).has("#Noun") && !nlp(next).has("#Preposition") && !PERSON_NOUNS.test(next)) continue;
    return match[0].toLowerCase();
  }
  return null;
}

const PERSON_NOUNS =
  /\b(?:man|woman|boy|girl|person|model|actor|actress|singer|rapper|songwriter|musician|composer|conductor|guitarist|drummer|pianist|violinist|bassist|vocalist|dancer|comedian|writer|author|novelist|poet|playwright|screenwriter|journalist|editor|director|producer|filmmaker|photographer|painter|sculptor|artist|architect|designer|politician|statesman|stateswoman|diplomat|lawyer|judge|senator|governor|president|king|queen|prince|princess|emperor|empress|duke|duchess|countess|earl|lord|lady|bishop|priest|monk|nun|saint|pope|footballer|player|athlete|coach|manager|boxer|wrestler|swimmer|cyclist|skater|skier|jockey|driver|pilot|astronaut|soldier|general|admiral|officer|scientist|physicist|chemist|biologist|mathematician|economist|philosopher|historian|engineer|inventor|entrepreneur|businessman|businesswoman|executive|professor|teacher|educator|physician|surgeon|doctor|nurse|activist|explorer|television personality|presenter|host|broadcaster|anchor|commentator|youtuber|chef|magician|illustrator|cartoonist|animator|voice actor|voice actress)s?\b/i;

/** Whether a cut description is still a phrase of its own: three words at least, ending on a noun. */
export function isPhrase(text: string): boolean {
  return text.split(/\s+/).filter(Boolean).length >= 3 && endsOnNoun(text);
}

/** Whether a phrase ends on a noun (a cut that ends on an adjective or a participle, `the fantasy role-playing`, is no phrase). */
export function endsOnNoun(phrase: string): boolean {
  const word = phrase.trim().split(/\s+/).at(-1) ?? "";
  if (/-[a-z]+ing$/.test(word)) return false;
  const terms = nlp(phrase).terms();
  const last = terms.last();
  if (last.has("#Noun") || last.has("#Value")) return true;
  const count = terms.length;
  const nounAfterArticle =
    !nlp(word).has("#PastTense") &&
    nlp(`the ${word.replace(/[?,.;:!]+$/, "")}`)
      .terms()
      .last()
      .has("#Noun");
  // `the singer and model`: the tagger reads a coordinated noun as a verb; after an article it is a noun.
  const coordinated = count >= 3 && terms.eq(count - 2).has("#Conjunction") && terms.eq(count - 3).has("#Noun");
  // `the fifth single`: after an ordinal the tagger's adjective is a noun too.
  const afterOrdinal = count >= 2 && terms.eq(count - 2).has("#Ordinal");
  return (coordinated || afterOrdinal) && nounAfterArticle;
}
