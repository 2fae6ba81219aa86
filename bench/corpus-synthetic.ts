/**
 * Seeded synthetic corpora for the corpus benches: word frequencies are taken from the bundled
 * HotpotQA + MuSiQue + 2WikiMultihopQA corpora (data/). Each synthetic passage (60-140 words, a title of
 * 1-3 capitalised words) picks one real paragraph as its topic and draws 80% of its words from that
 * paragraph and 20% from the global word distribution: words cluster by topic as in Wikipedia, instead
 * of every common word appearing in most passages (which pure unigram sampling would give).
 */

import { once } from "node:events";
import { createWriteStream, readFileSync } from "node:fs";
import { Random } from "../src/core/random.js";

export interface Vocabulary {
  words: string[];
  /** Cumulative counts, for sampling by binary search. */
  cumulative: Float64Array;
  titleWords: string[];
  /** The words of each real paragraph (topics). */
  documents: string[][];
}

function texts(options: VocabularyOptions): { text: string; topic: boolean }[] {
  const out: { text: string; topic: boolean }[] = [];
  for (const line of readFileSync("data/hotpotqa/corpus.jsonl", "utf8").split("\n")) {
    if (line.trim())
      out.push({ text: (JSON.parse(line) as { text: string }).text, topic: !options.hotpotQaOutOfTopics });
  }
  for (const file of [
    "data/musique/hipporag_musique_train100_corpus.json",
    "data/2wikimultihopqa/hipporag_2wikimultihopqa_corpus.json",
  ]) {
    for (const row of JSON.parse(readFileSync(file, "utf8")) as { text: string }[])
      out.push({ text: row.text, topic: true });
  }
  return out;
}

export interface VocabularyOptions {
  /**
   * Keep the HotpotQA paragraphs out of the topic pool (their words still count in the word frequencies), so no
   * distractor copies most of its words from a HotpotQA paragraph: the needle-in-a-haystack bench mixes the real
   * paragraphs in, and a near-copy of a gold passage would be a second gold.
   */
  hotpotQaOutOfTopics?: boolean;
}

export function loadVocabulary(options: VocabularyOptions = {}): Vocabulary {
  const counts = new Map<string, number>();
  const capitalised = new Map<string, number>();
  const documents: string[][] = [];
  for (const { text, topic } of texts(options)) {
    const words = text.match(/[\p{L}\p{N}][\p{L}\p{N}'-]*/gu) ?? [];
    if (words.length > 0 && topic) documents.push(words.map((word) => word.toLowerCase()));
    for (const word of words) {
      counts.set(word.toLowerCase(), (counts.get(word.toLowerCase()) ?? 0) + 1);
      if (/^\p{Lu}\p{Ll}{2,}$/u.test(word)) capitalised.set(word, (capitalised.get(word) ?? 0) + 1);
    }
  }
  const entries = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  const cumulative = new Float64Array(entries.length);
  let total = 0;
  entries.forEach(([, count], index) => {
    total += count;
    cumulative[index] = total;
  });
  const titleWords = [...capitalised.entries()].filter(([, count]) => count >= 2).map(([word]) => word);
  return { words: entries.map(([word]) => word), cumulative, titleWords, documents };
}

export function sampleWord(vocabulary: Vocabulary, random: Random): string {
  const { cumulative, words } = vocabulary;
  const target = random.next() * (cumulative[cumulative.length - 1] ?? 1);
  let low = 0;
  let high = cumulative.length - 1;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((cumulative[middle] ?? 0) < target) low = middle + 1;
    else high = middle;
  }
  return words[low] ?? "the";
}

export interface SyntheticPassage {
  id: string;
  title: string;
  text: string;
}

export function* syntheticPassages(vocabulary: Vocabulary, count: number, seed = 42): Generator<SyntheticPassage> {
  const random = new Random(seed);
  for (let index = 0; index < count; index++) {
    const titleLength = 1 + random.int(3);
    const title = Array.from({ length: titleLength }, () => random.pick(vocabulary.titleWords)).join(" ");
    const length = 60 + random.int(81);
    const topic = random.pick(vocabulary.documents);
    const words: string[] = [title];
    for (let word = 0; word < length; word++) {
      words.push(random.next() < 0.8 ? random.pick(topic) : sampleWord(vocabulary, random));
    }
    yield { id: String(index), title, text: `${words.join(" ")}.` };
  }
}

/** Write `count` synthetic passages as JSONL; resolves to the file's size in bytes. */
export async function writeSyntheticCorpus(
  file: string,
  vocabulary: Vocabulary,
  count: number,
  seed = 42,
): Promise<number> {
  const stream = createWriteStream(file);
  let bytes = 0;
  let buffer: string[] = [];
  for (const passage of syntheticPassages(vocabulary, count, seed)) {
    const line = `${JSON.stringify(passage)}\n`;
    bytes += Buffer.byteLength(line);
    buffer.push(line);
    if (buffer.length >= 2000) {
      if (!stream.write(buffer.join(""))) await once(stream, "drain");
      buffer = [];
    }
  }
  stream.end(buffer.join(""));
  await once(stream, "finish");
  return bytes;
}

/** The 400 HotpotQA questions of data/, used as realistic queries. */
export function hotpotQuestions(): string[] {
  return readFileSync("data/hotpotqa/questions.jsonl", "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => (JSON.parse(line) as { question: string }).question);
}

/**
 * The needle-in-a-haystack corpus: `size` passages, the 3,957 real HotpotQA passages spread evenly among seeded
 * synthetic distractors whose topics exclude the HotpotQA paragraphs.
 */
export async function writeNeedleCorpus(file: string, size: number): Promise<void> {
  const realPassages = readFileSync("data/hotpotqa/corpus.jsonl", "utf8")
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as SyntheticPassage);
  const vocabulary = loadVocabulary({ hotpotQaOutOfTopics: true });
  const stream = createWriteStream(file);
  const every = Math.max(1, Math.floor(size / realPassages.length));
  let next = 0;
  let buffer: string[] = [];
  let written = 0;
  for (const passage of syntheticPassages(vocabulary, size - realPassages.length, 42)) {
    buffer.push(`${JSON.stringify({ ...passage, id: `s${passage.id}` })}\n`);
    written++;
    if (written % every === 0 && next < realPassages.length) buffer.push(`${JSON.stringify(realPassages[next++])}\n`);
    if (buffer.length >= 2000) {
      if (!stream.write(buffer.join(""))) await once(stream, "drain");
      buffer = [];
    }
  }
  while (next < realPassages.length) buffer.push(`${JSON.stringify(realPassages[next++])}\n`);
  stream.end(buffer.join(""));
  await once(stream, "finish");
}
