/**
 * Stage 2: progressive obfuscation into levels behind one interface.
 * - L1: the multi-hop question itself, normalised.
 * - L2: the chain entities the question names (topic / bridge / compared) replaced by descriptions drawn from
 *   their own evidence passages.
 * - L3: every named entity obfuscated (descriptions where a passage exists, partial name hints otherwise) plus
 *   vague attributes: dates → periods, numbers → ranges (SailorFog-QA style).
 * `RuleObfuscator` needs no model; `LlmObfuscator` (llm-obfuscator.ts) rewrites for fluency.
 */
import {
  containsNormalized,
  decodeEntities,
  describeFromPassage,
  displayName,
  findMention,
  namedSpans,
  nameHint,
  vaguen,
} from "./text.js";
import type { Chain, Level, ObfuscatedItem, Replacement } from "./types.js";

/** A page the obfuscator may describe a non-chain name from (looked up in the corpus by title). */
export type PageLookup = (name: string) => Promise<{ passageId: string; title: string; text: string } | undefined>;

export interface ObfuscationContext {
  lookupPage?: PageLookup;
  signal?: AbortSignal;
}

export type ObfuscationResult = { ok: true; item: ObfuscatedItem } | { ok: false; reason: string };

export interface Obfuscator {
  readonly name: string;
  obfuscate(chain: Chain, level: Level, context?: ObfuscationContext): Promise<ObfuscationResult>;
}

export function itemId(sourceId: string, level: Level): string {
  return `${sourceId}#L${level}`;
}

/** L1 normalisation: decoded entities, single spaces, no space before punctuation, a final question mark. */
export function normalizeQuestion(question: string): string {
  let out = decodeEntities(question).replace(/\s+/g, " ").trim();
  out = out.replace(/\s+([?.,;:!])/g, "$1");
  if (!/[?.!]$/.test(out)) out = `${out}?`;
  return out.charAt(0).toUpperCase() + out.slice(1);
}

const GENERIC_HEAD =
  /(?:^|\s)(?:the|a|an)\s+((?:(?!of|in|on|by|who|which|that|for|with|from|to|at|as|and|or|is|was)[a-z][a-z-]*\s+){1,2})$/;

/**
 * Replace `mention` in `question` by `replacement`, dropping quotes around it and a generic head just before it
 * (`the film Kiss and Tell` → `the 1945 American comedy film …`) since the description carries the type.
 */
export function replaceMention(question: string, mention: string, replacement: string): string | null {
  let start = question.indexOf(mention);
  if (start < 0) return null;
  let end = start + mention.length;
  if (/["“]$/.test(question.slice(0, start)) && /^["”]/.test(question.slice(end))) {
    start -= 1;
    end += 1;
  }
  const before = question.slice(0, start);
  const head = GENERIC_HEAD.exec(before);
  let prefixEnd = start;
  if (head && /^the\s/i.test(replacement)) prefixEnd = start - head[0].trimStart().length;
  else if (/(?:^|\s)the\s+$/i.test(before) && /^the\s/i.test(replacement))
    prefixEnd = before.replace(/the\s+$/i, "").length;
  let text = replacement;
  const tail = question.slice(end);
  if (prefixEnd === 0 || /[.?!]\s*$/.test(question.slice(0, prefixEnd)))
    text = text.charAt(0).toUpperCase() + text.slice(1);
  return `${question.slice(0, prefixEnd)}${text}${tail}`.replace(/\s+/g, " ");
}

interface Target {
  mention: string;
  name: string;
  passageId: string | null;
  text: string | null;
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

function chainTargets(chain: Chain, question: string): Target[] {
  const out: Target[] = [];
  for (const entity of chain.entities) {
    const mention =
      entity.mention && question.includes(entity.mention)
        ? entity.mention
        : (findMention(question, entity.name) ?? approximateMention(question, entity.name));
    if (!mention || out.some((target) => target.mention === mention)) continue;
    const passage = chain.passages[entity.passageId];
    const ownPassage = passage && displayName(passage.title).toLowerCase() === entity.name.toLowerCase();
    out.push({
      mention,
      name: entity.name,
      passageId: ownPassage ? entity.passageId : null,
      text: ownPassage ? passage.text : null,
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
    out.push({ mention: span, name: span, passageId: page?.passageId ?? null, text: page?.text ?? null });
  }
  return out;
}

/** Initials hints for multi-word capitalised names inside a description (L3). */
function hintNamesInside(text: string, replacements: Replacement[]): string {
  let out = text;
  for (const span of namedSpans(text)) {
    if (!/\s/.test(span) || !out.includes(span)) continue;
    const hint = nameHint(span).replace(/^something with the initials /, "one with the initials ");
    out = out.replace(span, hint);
    replacements.push({ original: span, replacement: hint, kind: "name-hint", passageId: null, entity: span });
  }
  return out;
}

export interface RuleObfuscatorOptions {
  /** Longest description in words at L2 (default 22) and L3 (default 14). */
  maxWordsLevel2?: number;
  maxWordsLevel3?: number;
}

export class RuleObfuscator implements Obfuscator {
  readonly name = "rule";

  constructor(private readonly options: RuleObfuscatorOptions = {}) {}

  async obfuscate(chain: Chain, level: Level, context: ObfuscationContext = {}): Promise<ObfuscationResult> {
    const base = normalizeQuestion(chain.question);
    const item = (question: string, replacements: Replacement[], hiddenNames: string[]): ObfuscationResult => ({
      ok: true,
      item: {
        id: itemId(chain.sourceId, level),
        sourceId: chain.sourceId,
        level,
        question: normalizeQuestion(question),
        answer: chain.answer,
        obfuscator: this.name,
        replacements,
        hiddenNames,
      },
    });
    if (level === 1) return item(base, [], []);
    let targets = chainTargets(chain, base);
    if (level === 3) targets = [...targets, ...(await spanTargets(base, targets, context.lookupPage, chain.answer))];
    else if (targets.length === 0) {
      const fallback = (await spanTargets(base, [], context.lookupPage, chain.answer)).find(
        (target) => target.text !== null,
      );
      if (fallback) targets = [fallback];
    }
    if (targets.length === 0) return { ok: false, reason: "the question names no entity to obfuscate" };
    const hidden = targets.map((target) => target.name);
    const answerNames = chain.entities.filter((entity) => entity.role === "answer").map((entity) => entity.name);
    const forbidden = [
      chain.answer,
      ...chain.aliases,
      ...answerNames,
      ...hidden,
      ...targets.map((target) => target.mention),
    ];
    const maxWords = level === 2 ? (this.options.maxWordsLevel2 ?? 22) : (this.options.maxWordsLevel3 ?? 14);
    let question = base;
    const replacements: Replacement[] = [];
    for (const target of targets) {
      const description =
        target.text === null ? null : describeFromPassage(target.text, target.name, forbidden, maxWords);
      if (description) {
        let text = description.text;
        if (level === 3) text = hintNamesInside(vaguen(text).text, replacements);
        const next = replaceMention(question, target.mention, text);
        if (next === null) continue;
        question = next;
        replacements.push({
          original: target.mention,
          replacement: text,
          kind: "entity-description",
          passageId: target.passageId,
          entity: target.name,
        });
      } else if (level === 3) {
        const hint = nameHint(target.mention);
        const next = replaceMention(question, target.mention, hint);
        if (next === null) continue;
        question = next;
        replacements.push({
          original: target.mention,
          replacement: hint,
          kind: "name-hint",
          passageId: null,
          entity: target.name,
        });
      }
    }
    if (level === 3) {
      const vague = vaguen(question);
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
    if (
      !replacements.some((replacement) => replacement.kind === "entity-description" || replacement.kind === "name-hint")
    )
      return { ok: false, reason: "no entity could be described without revealing the answer or its name" };
    const replacedNames = replacements
      .filter((r) => r.entity !== null && r.kind !== "date-period")
      .map((r) => r.entity as string);
    return item(question, replacements, [...new Set(replacedNames)]);
  }
}
