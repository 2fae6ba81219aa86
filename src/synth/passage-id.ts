/**
 * Passage ids for evidence paragraphs. HotpotQA-style ids follow the rule of data/README.md:
 * `<slug>-<sha1(title)[0:8]>`. When a corpus is open, `resolveEvidenceId` looks the paragraph up by title and
 * text, so ids always match what the corpus stores (MuSiQue titles repeat across paragraphs).
 */
import type { Corpus } from "../corpus/types.js";

export { passageIdForTitle as hotpotPassageId } from "../corpus/text.js";

function squash(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** The corpus id of the paragraph with this title and text, or undefined when the corpus does not hold it. */
export function resolveEvidenceId(corpus: Corpus, title: string, text: string): string | undefined {
  const page = corpus.getPage(title);
  if (page.length === 0) return undefined;
  const wanted = squash(text);
  const exact = page.find((passage) => squash(passage.text) === wanted);
  if (exact) return exact.id;
  // Some corpora store "title\ntext" or trim differently: accept containment either way.
  const loose = page.find((passage) => squash(passage.text).includes(wanted) || wanted.includes(squash(passage.text)));
  return loose?.id ?? (page.length === 1 ? page[0]?.id : undefined);
}
