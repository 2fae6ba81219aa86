/**
 * Stage 1: chain extraction. Finds the entities and hops of a multi-hop question with the evidence passage of
 * each hop: HotpotQA bridge (topic → bridge entity → answer) and comparison questions, MuSiQue decompositions,
 * 2WikiMultihopQA evidence triples. Pure: no corpus, no model.
 */
import { containsNormalized, displayName, findMention } from "./text.js";
import type { Chain, ChainEntity, ChainHop, SourcePassage, SourceQuestion } from "./types.js";

export type ChainResult = { ok: true; chain: Chain } | { ok: false; reason: string };

function passagesRecord(passages: readonly SourcePassage[]): Chain["passages"] {
  const out: Chain["passages"] = {};
  for (const passage of passages) out[passage.passageId] = { title: passage.title, text: passage.text };
  return out;
}

function entityOf(passage: SourcePassage, role: ChainEntity["role"], question: string): ChainEntity {
  const name = displayName(passage.title);
  return { name, role, passageId: passage.passageId, title: passage.title, mention: findMention(question, name) };
}

function base(
  source: SourceQuestion,
  kind: Chain["kind"],
  entities: ChainEntity[],
  hops: ChainHop[],
  evidence: SourcePassage[],
): Chain {
  return {
    sourceId: source.id,
    dataset: source.dataset,
    kind,
    question: source.question,
    answer: source.answer,
    aliases: source.aliases,
    entities,
    hops,
    evidenceIds: evidence.map((passage) => passage.passageId),
    passages: passagesRecord(evidence),
  };
}

function comparisonChain(source: SourceQuestion, supporting: SourcePassage[]): Chain {
  const entities = supporting.map((passage) => {
    const entity = entityOf(passage, "compared", source.question);
    return containsNormalized(entity.name, source.answer) && containsNormalized(source.answer, entity.name)
      ? { ...entity, role: "answer" as const }
      : entity;
  });
  const hops = supporting.map((passage, index) => ({
    index,
    entity: entities[index]?.name ?? passage.title,
    passageId: passage.passageId,
    question: null,
    yields: "compared attribute",
  }));
  return base(source, "comparison", entities, hops, supporting);
}

/** HotpotQA-style two-paragraph questions (also 2Wiki records without evidence triples). */
export function twoParagraphChain(source: SourceQuestion): ChainResult {
  const supporting = source.passages.filter((passage) => passage.supporting);
  if (supporting.length < 2) return { ok: false, reason: `${supporting.length} supporting paragraph(s); need 2` };
  const mentioned = supporting.map((passage) => findMention(source.question, displayName(passage.title)) !== null);
  const isComparison = /comparison/i.test(source.type) || (supporting.length === 2 && mentioned.every(Boolean));
  if (isComparison) return { ok: true, chain: comparisonChain(source, supporting.slice(0, 2)) };
  const [first, second] = supporting as [SourcePassage, SourcePassage];
  const holdsAnswer = (passage: SourcePassage) => containsNormalized(passage.text, source.answer);
  const isAnswerEntity = (passage: SourcePassage) =>
    containsNormalized(displayName(passage.title), source.answer) &&
    containsNormalized(source.answer, displayName(passage.title));
  const namedIn = (passage: SourcePassage, other: SourcePassage) =>
    findMention(other.text, displayName(passage.title)) !== null;
  // Decide which paragraph is the last hop (the one that yields the answer).
  const score = (passage: SourcePassage, other: SourcePassage, index: number) =>
    (isAnswerEntity(passage) ? 8 : 0) +
    (holdsAnswer(passage) ? 4 : 0) +
    (mentioned[index] ? 0 : 2) +
    (namedIn(passage, other) ? 1 : 0);
  const lastIsSecond = score(second, first, 1) >= score(first, second, 0);
  const [hopOne, hopTwo] = lastIsSecond ? [first, second] : [second, first];
  const topic = entityOf(hopOne, "topic", source.question);
  const bridge = entityOf(hopTwo, isAnswerEntity(hopTwo) ? "answer" : "bridge", source.question);
  const hops: ChainHop[] = [
    { index: 0, entity: topic.name, passageId: hopOne.passageId, question: null, yields: bridge.name },
    {
      index: 1,
      entity: bridge.name,
      passageId: hopTwo.passageId,
      question: null,
      yields: bridge.role === "answer" ? "answer (the entity itself)" : source.answer,
    },
  ];
  return { ok: true, chain: base(source, "bridge", [topic, bridge], hops, [hopOne, hopTwo]) };
}

/** MuSiQue: one hop per decomposition step; intermediate answers are the bridge entities. */
export function musiqueChain(source: SourceQuestion): ChainResult {
  const steps = source.decomposition ?? [];
  if (steps.length < 2) return { ok: false, reason: "no multi-step decomposition" };
  const evidence: SourcePassage[] = [];
  const hops: ChainHop[] = [];
  const entities: ChainEntity[] = [];
  for (const [index, step] of steps.entries()) {
    const passage = step.passageIndex === null ? undefined : source.passages[step.passageIndex];
    if (!passage) return { ok: false, reason: `step ${index + 1} has no supporting paragraph` };
    if (!evidence.includes(passage)) evidence.push(passage);
    const subject = index === 0 ? displayName(passage.title) : (steps[index - 1]?.answer ?? displayName(passage.title));
    hops.push({ index, entity: subject, passageId: passage.passageId, question: step.question, yields: step.answer });
    if (index === 0) {
      const mention = findMention(source.question, displayName(passage.title));
      entities.push({ ...entityOf(passage, "topic", source.question), mention });
    } else {
      const previous = steps[index - 1]?.answer ?? "";
      entities.push({
        name: previous,
        role: "bridge",
        passageId: passage.passageId,
        title: passage.title,
        mention: findMention(source.question, previous),
      });
    }
  }
  return { ok: true, chain: base(source, "bridge", entities, hops, evidence) };
}

/** 2WikiMultihopQA: hops follow the evidence triples; compared entities for comparison questions. */
export function twoWikiChain(source: SourceQuestion): ChainResult {
  const triples = source.evidences ?? [];
  if (triples.length === 0) return twoParagraphChain(source);
  const byTitle = new Map(source.passages.map((passage) => [displayName(passage.title).toLowerCase(), passage]));
  const lookup = (name: string) => byTitle.get(name.toLowerCase());
  if (/comparison/i.test(source.type)) {
    const compared = [...new Set(triples.map(([subject]) => subject))]
      .map(lookup)
      .filter((passage): passage is SourcePassage => passage !== undefined);
    if (compared.length < 2) return { ok: false, reason: "compared entities have no paragraphs" };
    return { ok: true, chain: comparisonChain(source, compared) };
  }
  const evidence: SourcePassage[] = [];
  const hops: ChainHop[] = [];
  const entities: ChainEntity[] = [];
  for (const [index, [subject, relation, object]] of triples.entries()) {
    const passage = lookup(subject);
    if (!passage) return { ok: false, reason: `no paragraph for "${subject}"` };
    if (!evidence.includes(passage)) evidence.push(passage);
    hops.push({ index, entity: subject, passageId: passage.passageId, question: relation, yields: object });
    entities.push(entityOf(passage, index === 0 ? "topic" : "bridge", source.question));
  }
  return { ok: true, chain: base(source, "bridge", entities, hops, evidence) };
}

export function extractChain(source: SourceQuestion): ChainResult {
  if (source.answer.trim() === "") return { ok: false, reason: "empty answer" };
  switch (source.dataset) {
    case "musique":
      return musiqueChain(source);
    case "2wikimultihopqa":
      return twoWikiChain(source);
    default:
      return twoParagraphChain(source);
  }
}
