/**
 * A `PageReader` over a retrieval server's `POST /access` (drkit's `serve retrieval`, or ASearcher's local server):
 * the page stored for a URL, so `visit` works offline against the same corpus `search` reads.
 */
import { z } from "zod";
import { ToolError } from "../core/errors.js";
import type { PageReader, ReadPage } from "./page-reader.js";

const AccessReplySchema = z.object({
  result: z.array(
    z.object({ url: z.string().optional(), title: z.string().optional(), contents: z.string() }).nullable(),
  ),
});

export class AccessPageReader implements PageReader {
  readonly name: string;
  readonly readsReferences = true;
  private readonly url: string;

  /** `baseUrl`: the server, e.g. http://127.0.0.1:8000 (with or without a trailing /access). */
  constructor(
    baseUrl: string,
    private readonly timeoutMs = 60_000,
  ) {
    this.url = `${baseUrl.replace(/\/+$/, "").replace(/\/access$/, "")}/access`;
    this.name = `access:${this.url}`;
  }

  async read(url: string, signal?: AbortSignal): Promise<ReadPage> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ urls: [url] }),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      throw new ToolError(`the page server ${this.url} is unreachable: ${(error as Error).message}`);
    }
    if (!response.ok) throw new ToolError(`the page server ${this.url} answered HTTP ${response.status}`);
    const parsed = AccessReplySchema.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success) throw new ToolError(`the page server ${this.url} did not answer {"result": [...]}`);
    const page = parsed.data.result[0];
    if (!page) throw new ToolError(`no stored page for ${url}`);
    return { url: page.url ?? url, title: page.title ?? "", text: page.contents, truncated: false };
  }
}
