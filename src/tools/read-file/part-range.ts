/** `pages` of read_file: "3", "1-3", "2,4-5" (1-based, inclusive) over a document's parts. */

/** The selected part indexes (0-based, in order, unique), or an error message for the model. */
export function selectParts(range: string | undefined, count: number): number[] | string {
  if (range === undefined || range.trim() === "") return Array.from({ length: count }, (_, index) => index);
  const selected = new Set<number>();
  for (const piece of range.split(",")) {
    const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(piece);
    if (!match) return `"${range}" is not a page range: use a number, a range like 2-4, or a list like 1,3-5`;
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (first < 1 || last < first) return `"${piece.trim()}" is not a valid range (pages start at 1)`;
    if (first > count) return `the file has ${count} part${count === 1 ? "" : "s"}; "${piece.trim()}" is past the end`;
    for (let page = first; page <= Math.min(last, count); page++) selected.add(page - 1);
  }
  return [...selected].sort((a, b) => a - b);
}
