/**
 * The text of a document as labelled parts (the pages of a pdf, the sheets of a workbook, the slides of a
 * presentation; one part for the other formats), by well-kept parsers: unpdf (pdf.js) for pdf, mammoth for docx,
 * read-excel-file and csv-parse for tables, JSZip + linkedom's XML parser for pptx, Readability + Turndown for html.
 */
import { parse as parseCsv } from "csv-parse/sync";
import { htmlToMarkdown, htmlToText } from "../page-reader.js";
import type { DocumentFormat } from "./formats.js";
import { markdownTable, tablesToMarkdown } from "./markdown-table.js";
import { presentationSlides } from "./presentation-text.js";

export interface DocumentPart {
  /** `page 2`, `sheet Visitors`, `slide 1`, or the format name for single-part files. */
  label: string;
  text: string;
}

/** Formats read as text; media needs a multimodal model. */
export const READABLE_FORMATS: readonly DocumentFormat[] = [
  "pdf",
  "docx",
  "xlsx",
  "csv",
  "pptx",
  "text",
  "json",
  "html",
];

async function pdfPages(bytes: Uint8Array): Promise<DocumentPart[]> {
  const { extractText, getDocumentProxy } = await import("unpdf");
  const document = await getDocumentProxy(new Uint8Array(bytes));
  const { text } = await extractText(document, { mergePages: false });
  return text.map((page, index) => ({ label: `page ${index + 1}`, text: page.trim() }));
}

async function wordText(bytes: Uint8Array): Promise<DocumentPart[]> {
  const { default: mammoth } = await import("mammoth");
  const { value } = await mammoth.convertToHtml({ buffer: Buffer.from(bytes) });
  return [{ label: "document", text: htmlToMarkdown(tablesToMarkdown(`<html><body>${value}</body></html>`)) }];
}

async function workbookSheets(bytes: Uint8Array): Promise<DocumentPart[]> {
  const { default: readXlsxFile } = await import("read-excel-file/node");
  const sheets = await readXlsxFile(Buffer.from(bytes));
  return sheets.map((sheet) => ({
    label: `sheet ${sheet.sheet}`,
    text: markdownTable(
      sheet.data.map((row) =>
        row.map((cell) => (cell instanceof Date ? cell.toISOString().slice(0, 10) : String(cell ?? ""))),
      ),
    ),
  }));
}

function csvText(bytes: Uint8Array, name: string): DocumentPart[] {
  const delimiter = name.toLowerCase().endsWith(".tsv") ? "\t" : ",";
  const rows = parseCsv(Buffer.from(bytes), { delimiter, relax_column_count: true, bom: true }) as string[][];
  return [{ label: "table", text: markdownTable(rows) }];
}

function jsonText(bytes: Uint8Array): DocumentPart[] {
  const raw = Buffer.from(bytes).toString("utf8");
  try {
    return [{ label: "json", text: JSON.stringify(JSON.parse(raw), null, 2) }];
  } catch {
    return [{ label: "json", text: raw }];
  }
}

/** The parts of a readable document; throws on a file its parser cannot read. */
export async function documentParts(bytes: Uint8Array, format: DocumentFormat, name: string): Promise<DocumentPart[]> {
  switch (format) {
    case "pdf":
      return pdfPages(bytes);
    case "docx":
      return wordText(bytes);
    case "xlsx":
      return workbookSheets(bytes);
    case "csv":
      return csvText(bytes, name);
    case "pptx":
      return presentationSlides(bytes);
    case "json":
      return jsonText(bytes);
    case "html": {
      const { title, text } = htmlToText(Buffer.from(bytes).toString("utf8"));
      return [{ label: "page", text: title && !text.startsWith(`# ${title}`) ? `# ${title}\n\n${text}` : text }];
    }
    default:
      return [{ label: "text", text: Buffer.from(bytes).toString("utf8") }];
  }
}
