/** Tables as Markdown pipe tables: what the model reads for spreadsheets, csv and the tables of Word files. */
import { parseHTML } from "linkedom";

function cellText(value: string): string {
  return value.replace(/\s+/g, " ").replace(/\|/g, "\\|").trim();
}

/** Rows (the first is the header) as a pipe table; ragged rows are padded. */
export function markdownTable(rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return "";
  const width = Math.max(...rows.map((row) => row.length));
  const line = (row: readonly string[]) =>
    `| ${Array.from({ length: width }, (_, column) => cellText(row[column] ?? "")).join(" | ")} |`;
  const [header, ...body] = rows;
  return [line(header ?? []), `|${" --- |".repeat(width)}`, ...body.map(line)].join("\n");
}

/** Replace every `<table>` of an HTML document by a `<pre>` holding its pipe table (Turndown keeps it as is). */
export function tablesToMarkdown(html: string): string {
  const { document } = parseHTML(html);
  for (const table of [...document.querySelectorAll("table")]) {
    const rows = [...table.querySelectorAll("tr")].map((row) =>
      [...row.querySelectorAll("th, td")].map((cell) => cell.textContent ?? ""),
    );
    const block = document.createElement("pre");
    block.textContent = markdownTable(rows);
    table.replaceWith(block);
  }
  return document.toString();
}
