/**
 * The goal-directed page extractor (Tongyi `visit`, agent-formats.md §2.5): one model call over the page text and
 * the goal, answered as JSON `{rational, evidence, summary}`, with the reference fallbacks — an (almost) empty
 * reply cuts the page to 70% and retries (3 times, then a final cut to 25,000 characters); an unparsable reply
 * is re-asked up to 3 times. Prompt wording is ours.
 */
import JSON5 from "json5";
import type { ChatModel } from "../llm/chat-model.js";

export interface Extraction {
  rational: string;
  evidence: string;
  summary: string;
}

export interface ExtractorOptions {
  model: ChatModel;
  /** Page characters sent at most (WebSailor: 150,000). */
  maxPageChars?: number;
  temperature?: number;
  /** Ask for `response_format: json_object`. Default true. */
  jsonMode?: boolean;
}

export function extractionPrompt(page: string, goal: string): string {
  return [
    "You read a web page for a researcher and pull out what serves their goal.",
    "",
    "## Page content",
    page,
    "",
    "## Researcher's goal",
    goal,
    "",
    "## Instructions",
    "1. Locate the parts of the page that relate to the goal and explain briefly why (the `rational` field).",
    "2. Copy the most relevant passages into `evidence`, keeping their original wording and as much context as needed; several paragraphs are fine.",
    "3. Write `summary`: a short paragraph that condenses the evidence and says how well it answers the goal.",
    "",
    'Reply with one JSON object with the string fields "rational", "evidence" and "summary", and nothing else.',
  ].join("\n");
}

/** Parse a model reply into an Extraction: fences stripped, then JSON, then the `{…}` span, then JSON5. */
export function parseExtraction(reply: string): Extraction | undefined {
  const stripped = reply
    .replace(/^\s*```(?:json)?\s*/i, "")
    .replace(/\s*```\s*$/, "")
    .trim();
  const candidates = [stripped];
  const first = reply.indexOf("{");
  const last = reply.lastIndexOf("}");
  if (first !== -1 && last > first) candidates.push(reply.slice(first, last + 1));
  for (const candidate of candidates) {
    for (const parse of [JSON.parse, JSON5.parse]) {
      try {
        const value = parse(candidate) as Record<string, unknown>;
        if (value && typeof value === "object" && ("evidence" in value || "summary" in value)) {
          const text = (field: unknown) =>
            typeof field === "string" ? field : field === undefined ? "" : JSON.stringify(field);
          return { rational: text(value.rational), evidence: text(value.evidence), summary: text(value.summary) };
        }
      } catch {
        // try the next candidate
      }
    }
  }
  return undefined;
}

export class PageExtractor {
  constructor(readonly options: ExtractorOptions) {}

  private async ask(page: string, goal: string, signal?: AbortSignal): Promise<{ text: string; costUsd: number }> {
    const response = await this.options.model.complete(
      {
        messages: [{ role: "user", content: extractionPrompt(page, goal) }],
        temperature: this.options.temperature ?? 0.7,
        ...(this.options.jsonMode === false ? {} : { responseFormat: "json" as const }),
      },
      signal,
    );
    return { text: response.text, costUsd: response.costUsd ?? 0 };
  }

  /** Extraction for the goal, or undefined when the model never produced usable JSON. */
  async extract(
    pageText: string,
    goal: string,
    signal?: AbortSignal,
  ): Promise<{ extraction?: Extraction; costUsd: number; calls: number }> {
    let page = pageText.slice(0, this.options.maxPageChars ?? 150_000);
    let costUsd = 0;
    let calls = 0;
    const ask = async () => {
      const reply = await this.ask(page, goal, signal);
      costUsd += reply.costUsd;
      calls += 1;
      return reply.text;
    };
    let reply = await ask();
    for (let cut = 1; reply.trim().length < 10 && cut <= 4; cut++) {
      page = cut < 4 ? page.slice(0, Math.floor(page.length * 0.7)) : page.slice(0, 25_000);
      reply = await ask();
    }
    let extraction = parseExtraction(reply);
    for (let retry = 0; !extraction && retry < 3; retry++) extraction = parseExtraction(await ask());
    return { ...(extraction ? { extraction } : {}), costUsd, calls };
  }
}

export function renderExtraction(url: string, goal: string, extraction: Extraction): string {
  return `The useful information in ${url} for user goal ${goal} as follows: \n\nEvidence in page: \n${extraction.evidence}\n\nSummary: \n${extraction.summary}\n\n`;
}

/** Output for a page that could not be read or processed (our wording, the reference layout). */
export function renderVisitFailure(url: string, goal: string, reason?: string): string {
  return renderExtraction(url, goal, {
    rational: "",
    evidence: `The page could not be accessed${reason ? ` (${reason})` : ""}.`,
    summary: "The page could not be processed, so it gives no information for this goal.",
  });
}
