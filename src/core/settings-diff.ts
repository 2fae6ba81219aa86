/**
 * Compare the settings a resumable run was started with against the ones given now, field by field, so a resume
 * with other inputs is refused with what differs named (eval run dirs, synth stage files).
 */

/** A stable JSON form: object keys sorted, undefined fields left out. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "undefined";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const record = value as Record<string, unknown>;
  return `{${Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`)
    .join(",")}}`;
}

/** One line per differing top-level field: `  field: run has X, now Y`. */
export function differingSettings(saved: Record<string, unknown>, wanted: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(saved), ...Object.keys(wanted)])]
    .filter((key) => canonicalJson(saved[key]) !== canonicalJson(wanted[key]))
    .map(
      (key) =>
        `  ${key}: run has ${canonicalJson(saved[key]).slice(0, 120)}, now ${canonicalJson(wanted[key]).slice(0, 120)}`,
    );
}
