/**
 * Tolerant parsing of judge output. Local models break JSON in many ways, so structured verdicts are read
 * with a cascade: strict JSON → the first fenced block → the first {...} span → JSON5 → `key: value` lines.
 */
import JSON5 from "json5";

/** Parse an object out of model output, or undefined. */
export function parseLooseObject(text: string): Record<string, unknown> | undefined {
  const candidates: string[] = [text.trim()];
  const fenced = /```(?:json5?|javascript)?\s*\n?([\s\S]*?)```/i.exec(text);
  if (fenced?.[1]) candidates.push(fenced[1].trim());
  const start = text.indexOf("{");
  const end = text.lastIndexOf("}");
  if (start !== -1 && end > start) candidates.push(text.slice(start, end + 1));
  for (const candidate of candidates) {
    for (const parse of [JSON.parse, JSON5.parse] as ((text: string) => unknown)[]) {
      try {
        const value = parse(candidate);
        if (typeof value === "object" && value !== null && !Array.isArray(value))
          return value as Record<string, unknown>;
      } catch {
        // next
      }
    }
  }
  return undefined;
}

/**
 * Read `key: value` from a line that starts with the key (markdown emphasis and case ignored), so
 * `**Correct:** yes` is found and `incorrect: yes` inside a sentence is not.
 */
export function lineField(text: string, key: string): string | undefined {
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const pattern = new RegExp(`^[\\s>*_#-]*${escaped}[\\s*_]*[:：][\\s*_]*(.+?)[\\s*_]*$`, "imu");
  const match = pattern.exec(text);
  return match?.[1]?.trim();
}

/** Strip markdown emphasis, quotes and trailing punctuation; lower-case. */
export function cleanWord(text: string): string {
  return text
    .trim()
    .replace(/^[\s*_`"'[(]+|[\s*_`"'.!\])]+$/g, "")
    .toLowerCase();
}

const YES = new Set(["yes", "y", "true", "positive", "correct"]);
const NO = new Set(["no", "n", "false", "negative", "incorrect"]);

/** yes/no (also true/false) → boolean, else undefined. */
export function yesNo(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (typeof value !== "string") return undefined;
  const word = cleanWord(value).split(/\s+/)[0] ?? "";
  if (YES.has(word)) return true;
  if (NO.has(word)) return false;
  return undefined;
}

export function confidenceOf(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return Math.min(100, Math.max(0, value));
  if (typeof value === "string") {
    const match = /(\d+(?:\.\d+)?)/.exec(value);
    if (match) return Math.min(100, Math.max(0, Number(match[1])));
  }
  return undefined;
}
