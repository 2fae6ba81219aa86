/**
 * Build an agent (model + tools) from a drkit `Config`: the chat model from `config.model`, the `search` tool
 * from a local corpus or a search provider, `visit` (web pages through the SSRF guard and the goal-directed
 * extractor on `config.extractor`, or corpus pages), with optional response caches under `$DRKIT_HOME/cache`.
 */
import { join } from "node:path";
import { type Config, hasOwnSummarizer } from "../core/config.js";
import { InputError } from "../core/errors.js";
import type { Trajectory } from "../core/trajectory.js";
import { openCorpus } from "../corpus/sqlite-corpus.js";
import type { Corpus } from "../corpus/types.js";
import type { TokenCompletionModel } from "../llm/chat-model.js";
import { createChatModel } from "../llm/from-config.js";
import type { OpenAICompatibleChatModel } from "../llm/openai-compatible.js";
import { type ResponseCache, SqliteResponseCache } from "../llm/response-cache.js";
import { completionTokenSampler } from "../llm/token-sampler.js";
import { JinjaChatTemplate } from "../llm/tokenizer/jinja-chat-template.js";
import { createFileAndCodeTools } from "../tools/file-and-code-tools.js";
import { PageExtractor } from "../tools/page-extractor.js";
import { HttpPageReader, JinaPageReader } from "../tools/page-reader.js";
import { CorpusSearchProvider } from "../tools/search/corpus-provider.js";
import { createScholarTool, createSearchProvider } from "../tools/search/create-provider.js";
import { SearchTool } from "../tools/search/search-tool.js";
import { SsrfGuard } from "../tools/ssrf-guard.js";
import type { Tool } from "../tools/tool.js";
import { withToolCache } from "../tools/tool-cache.js";
import { createVisitTool, parseVisitSource } from "../tools/visit-source.js";
import { type HeavyModeOptions, runEpisode } from "./heavy-mode.js";
import type { TokenPath } from "./token-session.js";
import type { ProtocolName, RunAgentOptions } from "./types.js";

export interface AgentFromConfigOptions {
  protocol?: ProtocolName;
  /** Search provider name (corpus, retrieve[:url], serper, searxng, brave, tavily, jina). Default: config. */
  search?: string;
  /** Local corpus name (implies `search: corpus`). Default: `config.search.corpus`. */
  corpus?: string;
  /** Offer `visit` (react / tools protocols). Default true. */
  visit?: boolean;
  /** Offer `google_scholar` (Serper's scholar endpoint, SERPER_API_KEY) in react / tools protocols. Default false. */
  scholar?: boolean;
  /** Offer the python sandbox tool. */
  python?: boolean;
  /** Offer read_file over these folders (and the folders of `attachments`). */
  readFileRoots?: string[];
  /** Files attached to the questions asked (their folders join read_file's). */
  attachments?: string[];
  /** Summarize context strategy (ReSum) past this many context tokens; the summariser is config.summarizer. */
  summarizeAt?: number;
  /**
   * Where `visit` reads pages: `web`, `corpus:NAME` or `access:URL` (a retrieval server's `/access`, offline).
   * Default: the search corpus when searching one, else the web.
   */
  visitSource?: string;
  /** Read pages with Jina Reader instead of direct HTTP (needs JINA_API_KEY). */
  jinaReader?: boolean;
  /** Allow `visit` to fetch loopback / private addresses (local test sites, intranets). Default false. */
  allowLoopback?: boolean;
  allowPrivate?: boolean;
  /**
   * The model's tokenizer (a Hugging Face snapshot directory, or a hub id in the local HF cache): drkit renders
   * the chat with its template and samples token-in/token-out through `/v1/completions` (the token path).
   */
  tokenizer?: string;
  /** Cache model replies and tool outputs in `$DRKIT_HOME/cache/*.sqlite`. Default false. */
  cache?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface Agent {
  readonly model: OpenAICompatibleChatModel;
  readonly tools: Tool[];
  readonly protocol: ProtocolName;
  /** Run one question with these model and tools. */
  /** One episode; with `heavy`, n episodes and their aggregate (heavy mode). */
  run(
    question: string,
    options?: Partial<Omit<RunAgentOptions, "question" | "model" | "tools">>,
    heavy?: HeavyModeOptions,
  ): Promise<Trajectory>;
  /** Close the corpus, caches and HTTP agents. */
  close(): Promise<void>;
}

/** The token path over an OpenAI-compatible `/v1/completions` server with the model's own chat template. */
export function tokenPathFor(model: TokenCompletionModel, tokenizer: string): TokenPath {
  return { sampler: completionTokenSampler(model), template: JinjaChatTemplate.load(tokenizer) };
}

/** The summarize strategy's own summariser (config.summarizer), or undefined: the agent model summarises. */
export function summarizerFor(config: Config, summarizeAt: number | undefined): OpenAICompatibleChatModel | undefined {
  return summarizeAt && hasOwnSummarizer(config) ? createChatModel(config, { role: "summarizer" }) : undefined;
}

export function createAgentFromConfig(config: Config, options: AgentFromConfigOptions = {}): Agent {
  const protocol = options.protocol ?? "react";
  const env = options.env ?? process.env;
  const closers: (() => unknown)[] = [];
  const model = createChatModel(config, { cache: options.cache ? true : undefined });
  const token = options.tokenizer ? tokenPathFor(model, options.tokenizer) : undefined;
  const corpusName = options.corpus ?? (options.search ? undefined : config.search.corpus);
  const providerName = corpusName ? "corpus" : (options.search ?? config.search.provider);
  if (!providerName)
    throw new InputError(
      "no search backend: pass --corpus <name> (a corpus built with drkit corpus build) or --search <provider> (retrieve, serper, searxng, brave, tavily, jina)",
    );
  const provider = createSearchProvider({ provider: providerName, corpus: corpusName, home: config.home, env });
  let corpus: Corpus | undefined;
  if (provider instanceof CorpusSearchProvider) {
    corpus = provider.corpus;
    closers.push(() => corpus?.close());
  }
  let toolCache: ResponseCache | undefined;
  if (options.cache) {
    toolCache = new SqliteResponseCache(join(config.home, "cache", "tools.sqlite"));
    closers.push(() => toolCache?.close());
  }
  const cached = <T>(tool: Tool<T>, variant: string): Tool =>
    (toolCache ? withToolCache(tool, toolCache, variant) : tool) as Tool;
  const search = new SearchTool({ provider, style: protocol === "search-r1" ? "search-r1" : "tongyi" });
  const tools: Tool[] = [cached(search, `${provider.name}:${search.style}:${search.topk}`)];
  if (protocol !== "search-r1" && options.scholar) {
    const scholar = createScholarTool(env);
    tools.push(cached(scholar, `serper-scholar:${scholar.style}:${scholar.topk}`));
  }
  if (protocol !== "search-r1" && options.visit !== false) {
    const visit = createVisitTool(options.visitSource ? parseVisitSource(options.visitSource) : undefined, {
      ...(corpus ? { searchCorpus: corpus } : {}),
      openCorpus: (name) => {
        const opened = openCorpus(name, { home: config.home });
        closers.push(() => opened.close());
        return opened;
      },
      webReader: () => {
        if (options.jinaReader) return new JinaPageReader({ apiKey: env.JINA_API_KEY });
        const guard = new SsrfGuard({ allowLoopback: options.allowLoopback, allowPrivate: options.allowPrivate });
        const http = new HttpPageReader({ guard });
        closers.push(() => http.close());
        return http;
      },
      extractor: () => {
        const extractorModel = createChatModel(config, { role: "extractor" });
        closers.push(() => extractorModel.close());
        return new PageExtractor({ model: extractorModel });
      },
    });
    const { corpus: pages, reader, extractor } = visit.options;
    tools.push(
      cached(visit, `${pages ? `corpus:${pages.name}` : ""}:${reader?.name ?? ""}:${extractor ? "extract" : "raw"}`),
    );
  }
  const fileAndCode =
    protocol === "search-r1"
      ? []
      : createFileAndCodeTools({
          python: options.python ?? false,
          ...(options.readFileRoots ? { readFileRoots: options.readFileRoots } : {}),
          ...(options.attachments ? { attachments: options.attachments } : {}),
        });
  if (protocol === "search-r1" && (options.python || options.readFileRoots || options.attachments))
    throw new InputError(
      "search-r1 offers search only: use --protocol react or tools for python, read_file and attachments",
    );
  tools.push(...fileAndCode);
  const summarizer = summarizerFor(config, options.summarizeAt);
  if (summarizer) closers.push(() => summarizer.close());
  const context = options.summarizeAt
    ? { context: { strategy: "summarize" as const, thresholdTokens: options.summarizeAt } }
    : {};
  return {
    model,
    tools,
    protocol,
    run: (question, runOptions = {}, heavy = undefined) =>
      runEpisode(heavy, {
        protocol,
        ...context,
        ...(summarizer ? { summarizer } : {}),
        ...runOptions,
        question,
        ...(token ? { token } : { model }),
        tools,
      }),
    async close() {
      for (const close of closers.reverse()) await close();
      model.options.cache?.close();
      await model.close();
    },
  };
}
