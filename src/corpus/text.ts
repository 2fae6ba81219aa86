/**
 * Text and id helpers shared by ingest, the retrieval server and other areas: the HotpotQA-style
 * paragraph id (`<slug>-<sha1(title)[0:8]>`) and the wiki-18 `contents` string (`"Title"\ntext`).
 */
import { createHash } from "node:crypto";

/**
 * The title slug of data/README.md: NFKD-fold to ASCII (non-ASCII dropped), every run of characters
 * outside [A-Za-z0-9] becomes `-`, trim `-`, lower-case, cut to 48 characters (trim `-` again), `p` if empty.
 */
export function titleSlug(title: string): string {
  const ascii = title.normalize("NFKD").replace(/[^\x00-\x7f]/g, "");
  let slug = ascii
    .replace(/[^A-Za-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .toLowerCase();
  slug = slug.slice(0, 48).replace(/-+$/g, "");
  return slug === "" ? "p" : slug;
}

/** First 8 hex digits of SHA-1 of the UTF-8 title. */
export function titleHash8(title: string): string {
  return createHash("sha1").update(title, "utf8").digest("hex").slice(0, 8);
}

/** The stable paragraph id for a title, e.g. `Ed Wood (film)` → `ed-wood-film-cd7bf3f9`. */
export function passageIdForTitle(title: string): string {
  return `${titleSlug(title)}-${titleHash8(title)}`;
}

/** The wiki-18 / Search-R1 `contents` string: `"` + title + `"` + `\n` + text. */
export function renderContents(title: string, text: string): string {
  return `"${title}"\n${text}`;
}

/**
 * Split a wiki-18 `contents` string into title and text: the first line is the title (surrounding double
 * quotes removed), the rest is the text. Without a newline the whole string is the text and the title is empty.
 */
export function parseContents(contents: string): { title: string; text: string } {
  const newline = contents.indexOf("\n");
  if (newline < 0) return { title: "", text: contents };
  let title = contents.slice(0, newline);
  if (title.length >= 2 && title.startsWith('"') && title.endsWith('"')) title = title.slice(1, -1);
  return { title, text: contents.slice(newline + 1) };
}

/**
 * Join sentence lists into paragraph text. HotpotQA sentences carry their own leading spaces (joined with
 * nothing); 2WikiMultihopQA sentences do not (joined with one space). A space is added only where neither
 * side already has whitespace.
 */
export function joinSentences(sentences: readonly string[]): string {
  let out = "";
  for (const sentence of sentences) {
    if (out !== "" && sentence !== "" && !/\s$/.test(out) && !/^\s/.test(sentence)) out += " ";
    out += sentence;
  }
  return out;
}
