/**
 * Final-answer extraction, per recipe (reference rewards-and-judges.md §1.3). The recipes differ and the
 * differences change scores, so each is kept by name.
 */

import { taggedBlocks } from "../core/tagged-blocks.js";
import { stripPython } from "./normalize.js";

export type ExtractionStyle =
  /** Search-R1 `qa_em.py`: scores prompt + response; none when ≤ 1 match (the prompt has an example); else the last. */
  | "search-r1"
  /** verl `search_r1_like_qa_em.py`: response only; the last of ≥ 1 matches. */
  | "verl"
  /** DeepResearch-R1 `qa_em.py`: the last of ≥ 1 matches; none when the literal tags are absent. */
  | "deepresearch-r1"
  /** Tongyi `react_agent.py`: text between the first `<answer>` and the next `</answer>`. */
  | "tongyi";

export const EXTRACTION_STYLES: readonly ExtractionStyle[] = ["search-r1", "verl", "deepresearch-r1", "tongyi"];

/** Every `<answer>(.*?)</answer>` match (DOTALL), not stripped. */
export function answerMatches(text: string): string[] {
  return taggedBlocks(text, "<answer>", "</answer>");
}

/** The extracted answer (stripped), or null when the recipe finds none. */
export function extractAnswer(text: string, style: ExtractionStyle = "verl"): string | null {
  switch (style) {
    case "search-r1": {
      const matches = answerMatches(text);
      if (matches.length <= 1) return null;
      return stripPython(matches[matches.length - 1] as string);
    }
    case "verl": {
      const matches = answerMatches(text);
      if (matches.length < 1) return null;
      return stripPython(matches[matches.length - 1] as string);
    }
    case "deepresearch-r1": {
      if (!text.includes("<answer>") || !text.includes("</answer>")) return null;
      const matches = answerMatches(text);
      if (matches.length < 1) return null;
      return stripPython(matches[matches.length - 1] as string);
    }
    case "tongyi": {
      const start = text.indexOf("<answer>");
      if (start === -1) return null;
      const end = text.indexOf("</answer>", start + "<answer>".length);
      if (end === -1) return null;
      return stripPython(text.slice(start + "<answer>".length, end));
    }
  }
}

/** Count of literal `<answer>` plus `</answer>` tags (verl divides a correct score by 4 above 10). */
export function answerTagCount(text: string): number {
  return (text.match(/<answer>/g)?.length ?? 0) + (text.match(/<\/answer>/g)?.length ?? 0);
}

/** Every `<information>…</information>` block (Search-R1 retrieval-hit check). */
export function informationBlocks(text: string): string[] {
  return taggedBlocks(text, "<information>", "</information>");
}
