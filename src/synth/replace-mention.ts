/**
 * Where a description goes in the question: `replaceMention` puts it in the mention's place, by the mention's role
 * (mention-role.ts) and the words around it — a generic or bare head before the mention absorbed or refused, a
 * possessive rewritten with its owner before the question's verb, a place qualifier given its `in`, no article after
 * a possessive determiner.
 */
import nlp from "compromise";
import { mentionRole, possessedPhrase, type TaggedTerm, taggedTerms } from "./mention-role.js";

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
  // `an episode called X`, `a band named X`: the slot wants a name, not a description.
  if (/\b(?:called|named|titled|entitled|nicknamed|known as)\s+$/i.test(before)) return null;
  // `gets its coffee` → `gets its brewed drink`: after a possessive determiner the description drops its article.
  if (/\b(?:its|his|their|our|my|your|whose)\s+$/i.test(before) && /^(?:the|a|an)\s/i.test(replacement))
    return `${before}${replacement.replace(/^\S+\s+/, "")}${question.slice(end)}`.replace(/\s+/g, " ");
  if (/^someone\b/.test(replacement) && /\bthe\s+$/i.test(before)) {
    const kept = before.replace(/\bthe\s+$/i, "");
    const text = kept.trim() === "" ? `S${replacement.slice(1)}` : replacement;
    return `${kept}${text}${question.slice(end)}`.replace(/\s+/g, " ");
  }
  // `the English king Henry Gray` → `the English king with the initials H. G.`: the head the question gives stays.
  const personHead = /(?:^|\s)(?:[Tt]he|[Aa]n?)\s+(?:\p{Lu}\p{Ll}+\s+)?[a-z][a-z-]*\s+$/u.exec(before);
  if (/^someone with\b/.test(replacement) && personHead)
    return `${before}${replacement.replace(/^someone\s+/, "")}${question.slice(end)}`.replace(/\s+/g, " ");
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
  // `the verse tragedy, written in 1865 and first performed in Stockholm, a citizen of`: a modifier a comma opens
  // inside the question is closed by one.
  if (LOOSE_MODIFIER.test(text) && /^\s+[\p{L}\p{N}]/u.test(tail)) text = `${text},`;
  return `${question.slice(0, prefixEnd)}${text}${tail}`.replace(/\s+/g, " ");
}

/** A comma opening a participle or relative clause inside a description. */
const LOOSE_MODIFIER = /,\s+(?:who|which|whose|where|best|also|originally|[a-z]+ed|written|known|born|made)\b/;

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

/** Places stay in L3 descriptions (`the four-piece rock band from North London`): an attribute, not a hidden name. */
export function isPlace(span: string): boolean {
  return nlp(span).has("#Place");
}
