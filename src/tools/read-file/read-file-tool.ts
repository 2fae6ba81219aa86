/**
 * `read_file`: the text of an attached file (GAIA-style) from a local path under the allowed folders or from an
 * http(s) URL fetched through the SSRF guard: pdf, docx, xlsx/csv, pptx, txt/md/json/html. Images, audio and video
 * are reported as not readable without a multimodal model. Long files are cut at `maxChars` with a note naming the
 * pages to ask for next; every failure comes back as an observation.
 */
import { readFile, realpath, stat } from "node:fs/promises";
import { basename, isAbsolute, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { guardedFetch, SsrfGuard } from "../ssrf-guard.js";
import type { Tool, ToolContext, ToolOutput } from "../tool.js";
import { type DocumentPart, documentParts, READABLE_FORMATS } from "./document-text.js";
import { type DocumentFormat, documentFormat } from "./formats.js";
import { selectParts } from "./part-range.js";

export interface ReadFileToolOptions {
  /** Folders local files may be read from (attachment folders). Relative paths resolve against the first. */
  roots?: readonly string[];
  /** Guard for URLs (default: public addresses only). */
  guard?: SsrfGuard;
  /** Characters returned at most (default 30,000). */
  maxChars?: number;
  /** Bytes read at most, local or downloaded (default 25 MB). */
  maxBytes?: number;
}

export const READ_FILE_INPUT = z.object({
  path: z.string().min(1).describe("the attached file: its local path or an http(s) URL"),
  pages: z
    .string()
    .optional()
    .describe("which pages (pdf), sheets (xlsx) or slides (pptx) to read, e.g. 1-3 or 2,5; default all"),
});
export type ReadFileInput = z.infer<typeof READ_FILE_INPUT>;

interface LoadedFile {
  name: string;
  bytes: Uint8Array;
  contentType?: string;
}

const MEDIA: Partial<Record<DocumentFormat, string>> = { image: "an image", audio: "an audio file", video: "a video" };

export class ReadFileTool implements Tool<ReadFileInput> {
  readonly name = "read_file";
  readonly description =
    "Read an attached file and return its text: pdf, docx, xlsx/csv, pptx, txt, md, json or html. Give its local path or URL; for long files ask for pages (pdf), sheets (xlsx) or slides (pptx).";
  readonly inputSchema = READ_FILE_INPUT;
  private readonly roots: string[];
  private readonly guard: SsrfGuard;
  private readonly maxChars: number;
  private readonly maxBytes: number;

  constructor(options: ReadFileToolOptions = {}) {
    this.roots = (options.roots ?? []).map((root) => resolve(root));
    this.guard = options.guard ?? new SsrfGuard();
    this.maxChars = options.maxChars ?? 30_000;
    this.maxBytes = options.maxBytes ?? 25_000_000;
  }

  async execute(input: ReadFileInput, context: ToolContext): Promise<ToolOutput> {
    let file: LoadedFile;
    try {
      file = /^https?:\/\//i.test(input.path)
        ? await this.download(input.path, context.signal)
        : await this.local(input.path);
    } catch (error) {
      return { content: `Error: ${(error as Error).message}`, isError: true };
    }
    const format = documentFormat(file.name, file.contentType);
    const media = MEDIA[format];
    if (media)
      return {
        content: `${file.name} is ${media} (${format}); it cannot be read as text without a multimodal model.`,
        isError: true,
        sources: [input.path],
      };
    if (!READABLE_FORMATS.includes(format) && format !== "unknown")
      return { content: `Error: ${file.name}: unsupported format`, isError: true };
    let parts: DocumentPart[];
    try {
      parts = await documentParts(file.bytes, format, file.name);
    } catch (error) {
      return {
        content: `Error: ${file.name} could not be read as ${format}: ${(error as Error).message}`,
        isError: true,
      };
    }
    const selected = selectParts(input.pages, parts.length);
    if (typeof selected === "string") return { content: `Error: ${selected}`, isError: true };
    return { content: this.render(file.name, format, parts, selected), sources: [input.path] };
  }

  private render(name: string, format: DocumentFormat, parts: DocumentPart[], selected: number[]): string {
    const multi = parts.length > 1;
    const header = `File: ${name} (${format}${multi ? `, ${parts.length} ${parts[0]?.label.split(" ")[0] ?? "part"}s` : ""})`;
    let body = "";
    for (const index of selected) {
      const part = parts[index] as DocumentPart;
      const block = multi ? `--- ${part.label} ---\n${part.text}\n\n` : `${part.text}\n`;
      if (body.length + block.length > this.maxChars) {
        body += block.slice(0, Math.max(0, this.maxChars - body.length));
        const more = multi ? ` Ask for pages ${index + 1}-${(selected.at(-1) as number) + 1} to read on.` : "";
        return `${header}\n\n${body}\n[cut at ${this.maxChars} characters.${more}]`;
      }
      body += block;
    }
    return `${header}\n\n${body.trimEnd()}`;
  }

  private async local(path: string): Promise<LoadedFile> {
    if (this.roots.length === 0)
      throw new Error("read_file reads local files only inside the attachment folders it was given; none were given");
    const target = path.startsWith("file://") ? fileURLToPath(path) : path;
    const absolute = isAbsolute(target) ? target : resolve(this.roots[0] as string, target);
    let real: string;
    try {
      real = await realpath(absolute);
    } catch {
      throw new Error(`no file at ${path}`);
    }
    const roots = await Promise.all(this.roots.map((root) => realpath(root).catch(() => root)));
    const inside = roots.some((root) => {
      const rest = relative(root, real);
      return rest !== "" && !rest.startsWith(`..${sep}`) && rest !== ".." && !isAbsolute(rest);
    });
    if (!inside) throw new Error(`${path} is outside the attachment folders read_file may read`);
    const info = await stat(real);
    if (!info.isFile()) throw new Error(`${path} is not a file`);
    if (info.size > this.maxBytes)
      throw new Error(`${path} has ${info.size} bytes, more than the ${this.maxBytes} read_file reads`);
    return { name: basename(real), bytes: await readFile(real) };
  }

  private async download(url: string, signal: AbortSignal | undefined): Promise<LoadedFile> {
    const page = await guardedFetch(url, {
      guard: this.guard,
      maxBytes: this.maxBytes,
      timeoutMs: 60_000,
      ...(signal ? { signal } : {}),
    });
    if (page.status >= 400) throw new Error(`${url} answered HTTP ${page.status}`);
    if (page.truncated) throw new Error(`${url} is larger than the ${this.maxBytes} bytes read_file reads`);
    const name = basename(new URL(page.finalUrl).pathname) || "download";
    return { name, bytes: page.body, contentType: page.contentType };
  }

  close(): Promise<void> {
    return this.guard.close();
  }
}
