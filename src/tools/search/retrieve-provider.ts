/**
 * Client of a Search-R1 retrieval server (`POST /retrieve {queries, topk, return_scores: true}`), so a remote
 * dense/BM25 search cluster plugs in (Search-R1 / verl `/retrieve`, docs/corpus.md). Reads `document.contents` ("title"\ntext), `id` and `score`.
 */
import { z } from "zod";
import { ProviderError } from "../../core/errors.js";
import { fetchJson, type SearchOptions, type SearchProvider, type SearchResult } from "./provider.js";

const DocumentSchema = z
  .object({
    id: z.union([z.string(), z.number()]).optional(),
    contents: z.string().optional(),
    title: z.string().optional(),
    text: z.string().optional(),
  })
  .loose();
const EntrySchema = z.union([
  z.object({ document: DocumentSchema, score: z.number().optional() }).loose(),
  DocumentSchema,
]);
interface RetrievedDocument {
  id?: string | number;
  contents?: string;
  title?: string;
  text?: string;
}
const RetrieveResponseSchema = z.object({ result: z.array(z.array(EntrySchema)) });

/** Split wiki-18 contents: first line is the title (surrounding quotes removed), the rest the text. */
export function splitContents(contents: string): { title: string; text: string } {
  const newline = contents.indexOf("\n");
  if (newline < 0) return { title: "", text: contents };
  let title = contents.slice(0, newline);
  if (title.length >= 2 && title.startsWith('"') && title.endsWith('"')) title = title.slice(1, -1);
  return { title, text: contents.slice(newline + 1) };
}

export class RetrieveSearchProvider implements SearchProvider {
  readonly name = "retrieve";

  constructor(private readonly options: { url: string; timeoutMs?: number }) {}

  async search(queries: readonly string[], options: SearchOptions): Promise<SearchResult[][]> {
    if (queries.length === 0) return [];
    const url = /\/retrieve\/?$/.test(this.options.url)
      ? this.options.url
      : `${this.options.url.replace(/\/+$/, "")}/retrieve`;
    const raw = await fetchJson("retrieval server", {
      url,
      body: { queries, topk: options.topk, return_scores: true },
      timeoutMs: this.options.timeoutMs ?? 60_000,
      signal: options.signal,
    });
    const parsed = RetrieveResponseSchema.safeParse(raw);
    if (!parsed.success)
      throw new ProviderError(`retrieval server at ${url} returned an unexpected body (expected {"result": [[...]]})`);
    if (parsed.data.result.length !== queries.length)
      throw new ProviderError(
        `retrieval server returned ${parsed.data.result.length} result lists for ${queries.length} queries`,
      );
    return parsed.data.result.map((list) =>
      list.map((entry) => {
        const record = entry as { document?: RetrievedDocument; score?: number } & RetrievedDocument;
        const document: RetrievedDocument = record.document ?? record;
        const score = typeof record.score === "number" ? record.score : undefined;
        const { title, text } =
          document.contents !== undefined
            ? splitContents(document.contents)
            : { title: document.title ?? "", text: document.text ?? "" };
        return {
          title,
          snippet: text,
          ...(document.id !== undefined ? { id: String(document.id) } : {}),
          ...(score !== undefined ? { score } : {}),
        };
      }),
    );
  }
}
