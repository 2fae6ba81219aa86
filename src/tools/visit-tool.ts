/**
 * The `visit` tool: read one or more pages and return what serves `goal`. With a corpus, a reference it stores (a
 * passage id, `corpus://<id>`, a page title, a Wikipedia URL of a stored page: see corpus/page-access.ts) opens that
 * page offline; other web URLs go through a `PageReader` (SSRF-guarded HTTP with Readability, Jina, or a
 * retrieval server's `/access`). With an extractor model the page is condensed by the goal-directed
 * extractor; without one the page text itself (capped) is returned. Several URLs: processed in order, joined with
 * `\n=======\n`, with a total time budget after which the remaining ones get the failure output.
 */
import { z } from "zod";
import { describeError } from "../core/errors.js";
import { storedPage } from "../corpus/page-access.js";
import type { Corpus } from "../corpus/types.js";
import { type PageExtractor, renderExtraction, renderVisitFailure } from "./page-extractor.js";
import type { PageReader } from "./page-reader.js";
import type { Tool, ToolContext, ToolOutput } from "./tool.js";

export const VisitInputSchema = z.object({
  url: z
    .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
    .describe("Page URL(s), or passage ids / page titles of the local corpus"),
  goal: z.string().min(1).describe("What information you want from the page(s)"),
});
export type VisitInput = z.infer<typeof VisitInputSchema>;

export interface VisitToolOptions {
  reader?: PageReader;
  corpus?: Corpus;
  extractor?: PageExtractor;
  /** Page characters returned when there is no extractor. Default 25,000. */
  maxRawChars?: number;
  /** Total time for one call over all its URLs. Default 900 s. */
  budgetMs?: number;
  /** Most URLs per call. Default 5. */
  maxUrls?: number;
}

const isWebUrl = (value: string) => /^https?:\/\//i.test(value);

export class VisitTool implements Tool<VisitInput> {
  readonly name = "visit";
  readonly description =
    "Open one or more pages (web URLs, or passage ids / titles from search results) and return the parts relevant to the goal.";
  readonly inputSchema = VisitInputSchema;

  constructor(readonly options: VisitToolOptions) {}

  private openLocal(reference: string): { title: string; text: string; sources: string[] } | undefined {
    if (!this.options.corpus) return undefined;
    const page = storedPage(this.options.corpus, reference);
    return page ? { title: page.title, text: page.contents, sources: page.passageIds } : undefined;
  }

  private async visitOne(reference: string, goal: string, signal?: AbortSignal) {
    let title: string;
    let text: string;
    let sources: string[];
    const local = this.openLocal(reference);
    if (local) ({ title, text, sources } = local);
    else if (isWebUrl(reference) || this.options.reader?.readsReferences) {
      if (!this.options.reader)
        throw new Error("web pages are not available here (no page reader); visit corpus passage ids instead");
      const page = await this.options.reader.read(reference, signal);
      ({ title, text } = page);
      sources = [page.url];
    } else throw new Error(`no page or passage "${reference}" in the corpus`);
    if (text.trim() === "") throw new Error("the page is empty");
    if (!this.options.extractor) {
      const cap = this.options.maxRawChars ?? 25_000;
      const body = text.length > cap ? `${text.slice(0, cap)}\n[… page cut at ${cap} characters]` : text;
      return {
        content: `Content of ${reference}${title ? ` (${title})` : ""} for goal ${goal}:\n\n${body}\n`,
        sources,
        costUsd: 0,
      };
    }
    const result = await this.options.extractor.extract(text, goal, signal);
    if (!result.extraction)
      return {
        content: renderVisitFailure(reference, goal, "the extractor gave no usable reply"),
        sources: [],
        costUsd: result.costUsd,
        failed: true,
      };
    return { content: renderExtraction(reference, goal, result.extraction), sources, costUsd: result.costUsd };
  }

  async execute(input: VisitInput, context: ToolContext): Promise<ToolOutput> {
    const references = (Array.isArray(input.url) ? input.url : [input.url]).slice(0, this.options.maxUrls ?? 5);
    const deadline = Date.now() + (this.options.budgetMs ?? 900_000);
    const outputs: string[] = [];
    const sources: string[] = [];
    let costUsd = 0;
    let failures = 0;
    for (const reference of references) {
      if (Date.now() > deadline) {
        outputs.push(renderVisitFailure(reference, input.goal, "time budget spent"));
        failures += 1;
        continue;
      }
      try {
        const result = await this.visitOne(reference.trim(), input.goal, context.signal);
        outputs.push(result.content);
        sources.push(...result.sources);
        costUsd += result.costUsd;
        if ("failed" in result) failures += 1;
      } catch (error) {
        if (context.signal?.aborted) throw error;
        outputs.push(renderVisitFailure(reference, input.goal, describeError(error)));
        failures += 1;
      }
    }
    return { content: outputs.join("\n=======\n"), sources, costUsd, isError: failures === references.length };
  }
}
