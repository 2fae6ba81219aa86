/**
 * Stage 2: progressive obfuscation into levels behind one interface.
 * - L1: the multi-hop question itself, normalised.
 * - L2: the chain entities the question names (topic / bridge / compared) replaced by descriptions drawn from
 *   their own evidence passages.
 * - L3: every named entity that can be obfuscated naturally (descriptions where a passage exists, a person's
 *   initials otherwise) plus vague attributes: dates → periods, numbers → ranges (SailorFog-QA style).
 * A description goes only where a noun phrase fits (mention-role.ts, replace-mention.ts): a possessive is rewritten
 * (`X's husband` → `the husband of …`), a pre-modifier or part of a longer title is left alone; it is one phrase
 * (description-cuts.ts), and one that repeats the question's own words is replaced by the passage's next one.
 * `RuleObfuscator` needs no model; `LlmObfuscator` (llm-obfuscator.ts) rewrites for fluency.
 */
import nlp from "compromise";
import {
  clauseDescriptions,
  definingKind,
  kindOf,
  kindOfName,
  kindOfPronouns,
  kindOfTitle,
} from "./clause-descriptions.js";
import {
  cutBeforeNames,
  headPhrase,
  refersBack,
  titleKind,
  withoutAddOn,
  withoutLeakedWords,
  withoutList,
  withoutRepetition,
} from "./description-cuts.js";
import { describesPerson } from "./mention-role.js";
import { isDemonym, replaceMention } from "./replace-mention.js";
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

/** Capitalised words right before a mention, inside a sentence (`Houston` in `the Houston Astrodome`). */
const NAME_HEAD = /(?<=[\p{Ll},]\s+|^)((?:(?!The\b|A\b|An\b)\p{Lu}[\p{L}.'’-]*\s+)+)$/u;

/**
 * `José Echegaray` in `José Echegaray y Eizaguirre or …`, `Astrodome` in `the Houston Astrodome`: the mention runs
 * over the whole name it is part of (a question's first word excepted).
 */
function wholeName(question: string, mention: string): string {
  const at = question.indexOf(mention);
  if (at < 0) return mention;
  const tail = NAME_TAIL.exec(question.slice(at + mention.length))?.[0] ?? "";
  const before = question.slice(0, at);
  const head = at > 0 && /\s$/.test(before) ? (NAME_HEAD.exec(before)?.[1] ?? "") : "";
  // The question's first word is capitalised anyway (`Which`, `In`): it joins only as a first name (`Marcus`).
  const first = head !== "" && before.length === head.length;
  const joined = first && !nlp(head.trim().split(/\s+/)[0] ?? "").has("#FirstName") ? "" : head;
  return `${joined}${mention}${tail}`;
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
    const found = await lookup?.(span);
    // `Dustin Lynch (album)` is no page for the singer Dustin Lynch: a person's name takes a person's page only.
    const kind = found ? disambiguation(found.title) : undefined;
    const page = found && kind && namesPerson(question, span) && !describesPerson(kind) ? undefined : found;
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
      definingKind(target.text, target.name) ??
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
    const chainTarget = index < plan.chainTargetCount;
    const out: Option[] =
      style === "head" && chainTarget
        ? this.headOptions(target, plan, question)
        : style === "long" && chainTarget
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

  /** L2's descriptions cut to their head phrase (`the secondary school[ located in the city of Greenfield]`). */
  private headOptions(target: Target, plan: Plan, question: string): Rewrite[] {
    return this.describe(target, 2, plan, question, this.maxWordsLevel2).flatMap((option) => {
      const head = headPhrase(option.text);
      const next = head === null ? null : replaceMention(question, target.mention, head);
      return head !== null && next !== null
        ? [{ text: head, question: next, kind: "entity-description" as const }]
        : [];
    });
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
      // L2's descriptions with nothing made vague are L2 again, not L3: their head phrases are tried instead…
      if (
        style === "long" &&
        replacements.length > 0 &&
        replacements.every((r) => r.kind === "entity-description") &&
        vague.edits.length === 0
      )
        return this.build(chain, level, plan, choices, "head");
      // … nor their head phrases: there is no L3 beyond L2.
      if (style === "head" && !replacements.some((r) => r.kind === "entity-description"))
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
