/**
 * Wiki markup and stray quoting out of every text synthesis copies (source questions, evidence passages):
 * `<nowiki>'</nowiki>` → `'`, `<ref>…</ref>` and other tags dropped, `''italic''` / `'''bold'''` unwrapped,
 * `[[target|label]]` → `label`, `{{templates}}` dropped, HTML entities decoded, spacing normalised.
 */
const ENTITIES: Record<string, string> = {
  "&amp;": "&",
  "&quot;": '"',
  "&#39;": "'",
  "&apos;": "'",
  "&lt;": "<",
  "&gt;": ">",
};

export function decodeEntities(text: string): string {
  return text.replace(/&(?:amp|quot|#39|apos|lt|gt);/g, (match) => ENTITIES[match] ?? match);
}

const NAMED_ENTITIES: Record<string, string> = { "&nbsp;": " ", "&ndash;": "–", "&mdash;": "—", "&hellip;": "…" };

export function cleanWikiText(text: string): string {
  let out = decodeEntities(text).replace(/&(?:nbsp|ndash|mdash|hellip);/g, (match) => NAMED_ENTITIES[match] ?? match);
  out = out.replace(/<nowiki>([\s\S]*?)<\/nowiki>/gi, "$1");
  out = out.replace(/<ref[^>]*\/>/gi, "").replace(/<ref[^>]*>[\s\S]*?<\/ref>/gi, "");
  out = out.replace(/<\/?[a-z][a-z0-9]*(?:\s[^<>]*)?\/?>/gi, "");
  for (let pass = 0; pass < 3 && /\{\{[^{}]*\}\}/.test(out); pass++) out = out.replace(/\{\{[^{}]*\}\}/g, "");
  out = out.replace(/\[\[(?:[^\]|]*\|)?([^\]]*)\]\]/g, "$1");
  out = out.replace(/'{2,5}([^']+?)'{2,5}/g, "$1").replace(/'{2,}/g, "");
  out = out.replace(/\(\s*[,;]?\s*\)/g, "").replace(/\(\s*[,;]\s*/g, "(");
  return out
    .replace(/\s+/g, " ")
    .replace(/\s+([,.;:!?])/g, "$1")
    .trim();
}
