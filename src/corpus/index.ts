export { type BuildCorpusOptions, type BuildCorpusResult, buildCorpus } from "./build.js";
export {
  CORPUS_FORMATS,
  type CorpusFormat,
  type CorpusFormatOption,
  candidatesFromRecord,
  detectFormat,
  type PassageCandidate,
} from "./formats.js";
export { matchExpression, QUERY_STOPWORDS, type QueryOptions, queryTerms } from "./query.js";
export { DEFAULT_MAX_POSTINGS, type QueryPlan, QueryPlanner, type QueryPlannerOptions } from "./query-planner.js";
export { readJsonArray, readJsonLines, readRecords, type SourceRecord } from "./record-reader.js";
export { MAX_SEARCH_TOPK, type OpenCorpusOptions, openCorpus, SqliteCorpus } from "./sqlite-corpus.js";
export {
  assertCorpusName,
  CORPUS_SCHEMA_VERSION,
  type CorpusManifest,
  CorpusManifestSchema,
  corpusDirectory,
  corpusFile,
  listCorpora,
  resolveHome,
} from "./store-layout.js";
export { joinSentences, parseContents, passageIdForTitle, renderContents, titleHash8, titleSlug } from "./text.js";
export type { Corpus, CorpusStats, Passage, SearchHit } from "./types.js";
