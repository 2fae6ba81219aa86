/**
 * Linear scans for `<tag>…</tag>` blocks. They give what the lazy regexes `/<tag>([\s\S]*?)<\/tag>/g` give
 * (first opening tag, then the next closing tag after it, left to right), but in one pass: those regexes go back to
 * the end of the text for every unclosed opening tag, so `"<answer>"` × 80,000 took seconds (a reward server's
 * request could block it for hours).
 */

/** The contents of every `open…close` block, left to right. */
export function taggedBlocks(text: string, open: string, close: string): string[] {
  const blocks: string[] = [];
  let from = 0;
  for (;;) {
    const start = text.indexOf(open, from);
    if (start === -1) return blocks;
    const end = text.indexOf(close, start + open.length);
    // No closing tag after this opening tag means none after any later one either.
    if (end === -1) return blocks;
    blocks.push(text.slice(start + open.length, end));
    from = end + close.length;
  }
}

/** The text outside the `open…close` blocks, split at each block (as `text.split(/open[\s\S]*?close/)`). */
export function splitAroundBlocks(text: string, open: string, close: string): string[] {
  const parts: string[] = [];
  let from = 0;
  let last = 0;
  for (;;) {
    const start = text.indexOf(open, from);
    const end = start === -1 ? -1 : text.indexOf(close, start + open.length);
    if (end === -1) {
      parts.push(text.slice(last));
      return parts;
    }
    parts.push(text.slice(last, start));
    last = end + close.length;
    from = last;
  }
}

/** The first `<a>…</a>` or `<b>…</b>` block, whichever opens first (as `/<(a|b)>([\s\S]*?)<\/\1>/.exec`). */
export function firstTaggedBlock(text: string, tags: readonly string[]): { tag: string; content: string } | undefined {
  const candidates = tags
    .map((tag) => ({ tag, start: text.indexOf(`<${tag}>`) }))
    .filter((candidate) => candidate.start !== -1)
    .sort((a, b) => a.start - b.start);
  // Each tag's own first opening is the only one that can start its first block; try them in text order.
  for (const { tag, start } of candidates) {
    const end = text.indexOf(`</${tag}>`, start + tag.length + 2);
    if (end !== -1) return { tag, content: text.slice(start + tag.length + 2, end) };
  }
  return undefined;
}
