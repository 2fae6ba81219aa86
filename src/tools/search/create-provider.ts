/** Build a `SearchProvider` by name, keys from the environment. */

import { InputError } from "../../core/errors.js";
import { openCorpus } from "../../corpus/sqlite-corpus.js";
import { CorpusSearchProvider } from "./corpus-provider.js";
import type { SearchProvider } from "./provider.js";
import { RetrieveSearchProvider } from "./retrieve-provider.js";
import { SCHOLAR_TOOL, SearchTool } from "./search-tool.js";
import {
  BraveSearchProvider,
  JinaSearchProvider,
  SearxngSearchProvider,
  SerperScholarProvider,
  SerperSearchProvider,
  TavilySearchProvider,
} from "./web-providers.js";

export const SEARCH_PROVIDERS = ["corpus", "retrieve", "serper", "searxng", "brave", "tavily", "jina"] as const;

export interface CreateSearchProviderOptions {
  /** Provider name; `retrieve` may be written `retrieve:<url>`. */
  provider: string;
  /** Corpus name for `corpus`. */
  corpus?: string;
  home?: string;
  env?: NodeJS.ProcessEnv;
}

export function createSearchProvider(options: CreateSearchProviderOptions): SearchProvider {
  const env = options.env ?? process.env;
  const [name, ...rest] = options.provider.split(":");
  const argument = rest.join(":");
  switch (name) {
    case "corpus": {
      const corpus = options.corpus ?? argument;
      if (!corpus) throw new InputError("corpus search needs a corpus name: --corpus <name> (see drkit corpus list)");
      return new CorpusSearchProvider(openCorpus(corpus, { home: options.home }));
    }
    case "retrieve": {
      const url = argument || env.DRKIT_RETRIEVE_URL;
      if (!url)
        throw new InputError(
          "retrieve search needs the server URL: --search retrieve:http://host:8000 or DRKIT_RETRIEVE_URL",
        );
      return new RetrieveSearchProvider({ url });
    }
    case "serper":
      return new SerperSearchProvider({ apiKey: env.SERPER_API_KEY });
    case "searxng":
      return new SearxngSearchProvider({ baseUrl: argument || env.SEARXNG_URL });
    case "brave":
      return new BraveSearchProvider({ apiKey: env.BRAVE_API_KEY ?? env.BRAVE_SEARCH_API_KEY });
    case "tavily":
      return new TavilySearchProvider({ apiKey: env.TAVILY_API_KEY });
    case "jina":
      return new JinaSearchProvider({ apiKey: env.JINA_API_KEY });
    default:
      throw new InputError(`unknown search provider "${options.provider}": use one of ${SEARCH_PROVIDERS.join(", ")}`);
  }
}

/** The `google_scholar` tool: Google Scholar through Serper's `/scholar` endpoint (`SERPER_API_KEY`). */
export function createScholarTool(env: NodeJS.ProcessEnv = process.env): SearchTool {
  return new SearchTool({ provider: new SerperScholarProvider({ apiKey: env.SERPER_API_KEY }), ...SCHOLAR_TOOL });
}
