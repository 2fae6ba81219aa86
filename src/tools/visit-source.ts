/** Where the `visit` tool reads pages: the web, a local corpus, or a retrieval server's `/access` (offline web). */
import { InputError } from "../core/errors.js";

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
