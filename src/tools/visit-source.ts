/** Where the `visit` tool reads pages: the web, a local corpus, or a retrieval server's `/access` (offline web). */
import { InputError } from "../core/errors.js";
import type { Corpus } from "../corpus/types.js";
import { AccessPageReader } from "./access-page-reader.js";
import type { PageExtractor } from "./page-extractor.js";
import type { PageReader } from "./page-reader.js";
import { VisitTool } from "./visit-tool.js";

export type VisitSource = { kind: "web" } | { kind: "corpus"; name: string } | { kind: "access"; url: string };

/** `web`, `corpus:NAME` or `access:URL` (e.g. `access:http://127.0.0.1:8000`). */
export function parseVisitSource(value: string): VisitSource {
  if (value === "web") return { kind: "web" };
  const corpus = /^corpus:(.+)$/.exec(value);
  if (corpus) return { kind: "corpus", name: corpus[1] as string };
  const access = /^access:(https?:\/\/.+)$/.exec(value);
  if (access) return { kind: "access", url: access[1] as string };
  throw new InputError(
    `--visit must be web, corpus:NAME or access:URL (e.g. access:http://127.0.0.1:8000), got "${value}"`,
  );
}

export interface VisitToolParts {
  /** The corpus the agent searches, if it searches one: by default `visit` opens its pages. */
  searchCorpus?: Corpus;
  /** Open another corpus by name (`corpus:NAME` naming one the agent does not search). */
  openCorpus(name: string): Corpus;
  /** The web page reader and the goal-directed extractor, made only when the web is read. */
  webReader(): PageReader;
  extractor(): PageExtractor;
}

/**
 * The `visit` tool for a source: `access:URL` reads every reference through that server's `/access`; `corpus:NAME`
 * opens that corpus's pages; without a source, the searched corpus if there is one; the web (reader + extractor)
 * otherwise or with `web`.
 */
export function createVisitTool(source: VisitSource | undefined, parts: VisitToolParts): VisitTool {
  if (source?.kind === "access") return new VisitTool({ reader: new AccessPageReader(source.url) });
  if (source?.kind === "corpus")
    return new VisitTool({
      corpus: source.name === parts.searchCorpus?.name ? parts.searchCorpus : parts.openCorpus(source.name),
    });
  if (parts.searchCorpus && source?.kind !== "web") return new VisitTool({ corpus: parts.searchCorpus });
  return new VisitTool({ reader: parts.webReader(), extractor: parts.extractor() });
}
