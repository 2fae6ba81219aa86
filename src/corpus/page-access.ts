/**
 * Stored pages of a corpus by URL or title: an offline web for the `visit` tool and for ASearcher's `POST /access`
 * contract (`tools/local_retrieval_server.py`: `{"urls": [...]}` → `{"result": [page or null, ...]}`). A page is
 * every passage of one title joined in order (KILT and wiki dumps keep a page's paragraphs under its title).
 *
 * References understood: a Wikipedia URL (`https://en.wikipedia.org/wiki/Ed_Wood`, `index.php?title=Ed_Wood`,
 * `index.php/Ed_Wood`), `corpus://<passage id>` (the links the search tool prints for corpus results), a passage
 * id, or a page title.
 */
import type { Corpus } from "./types.js";

export interface StoredPage {
  url: string;
  title: string;
  /** The page text: its passages joined by blank lines. */
  contents: string;
  /** The ids of its passages, in order. */
  passageIds: string[];
}

/** The page title a Wikipedia URL names, or undefined when the URL is not one. */
export function wikipediaTitle(reference: string): string | undefined {
  let url: URL;
  try {
    url = new URL(reference);
  } catch {
    return undefined;
  }
  if (!/(^|\.)wikipedia\.org$/i.test(url.hostname)) return undefined;
  const fromPath = /^\/wiki\/(.+)$/.exec(url.pathname)?.[1] ?? /\/index\.php\/(.+)$/.exec(url.pathname)?.[1];
  const raw = fromPath ?? url.searchParams.get("title") ?? undefined;
  if (!raw) return undefined;
  try {
    return decodeURIComponent(raw).replaceAll("_", " ");
  } catch {
    return raw.replaceAll("_", " ");
  }
}

function page(corpus: Corpus, url: string, title: string): StoredPage | undefined {
  const passages = corpus.getPage(title);
  if (passages.length === 0) return undefined;
  return {
    url,
    title: (passages[0] as { title: string }).title,
    contents: passages.map((passage) => passage.text).join("\n\n"),
    passageIds: passages.map((passage) => passage.id),
  };
}

/** The stored page a reference names, or undefined. */
export function storedPage(corpus: Corpus, reference: string): StoredPage | undefined {
  const trimmed = reference.trim();
  const wikipedia = wikipediaTitle(trimmed);
  if (wikipedia !== undefined) return page(corpus, trimmed, wikipedia);
  const id = trimmed.startsWith("corpus://") ? trimmed.slice("corpus://".length) : trimmed;
  const passage = corpus.getPassage(id);
  if (passage) {
    const whole = page(corpus, trimmed, passage.title);
    return whole ?? { url: trimmed, title: passage.title, contents: passage.text, passageIds: [passage.id] };
  }
  return page(corpus, trimmed, trimmed.replace(/^"|"$/g, ""));
}
