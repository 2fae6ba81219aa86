/**
 * `drkit ask "question"`: run one research episode and show each step live (think, search queries, pages read),
 * then the answer with its sources. `--json` prints the trajectory record on stdout (progress goes to stderr).
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { createAgentFromConfig } from "../agent/from-config.js";
import { type AgentEvent, PROTOCOL_NAMES, type ProtocolName } from "../agent/types.js";
import { InputError } from "../core/errors.js";
import type { Trajectory } from "../core/trajectory.js";
import { questionWithAttachment } from "../tools/file-and-code-tools.js";
import { type AgentFlags, addAgentOptions, checkContextOptions, heavyModeFrom } from "./agent-options.js";
import { configFrom, integerOption, numberOption, printJson } from "./context.js";

interface AskOptions extends AgentFlags {
  corpus?: string;
  search?: string;
  protocol: string;
  baseUrl?: string;
  model?: string;
  apiKey?: string;
  maxTurns?: number;
  maxContextTokens?: number;
  attach?: string;
  temperature?: number;
  json?: boolean;
  tokenIds?: boolean;
  tokenizer?: string;
  stream?: boolean;
  /** false with --no-visit; a source with --visit web|corpus:NAME|access:URL. */
  visit: boolean | string;
  allowLoopback?: boolean;
  jinaReader?: boolean;
  cache?: boolean;
  quiet?: boolean;
}

function oneLine(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** A human line for a live event, or undefined for events not shown. */
export function describeEvent(event: AgentEvent): string | undefined {
  switch (event.type) {
    case "think":
      return `[${event.turn + 1}] think: ${oneLine(event.text)}`;
    case "tool-call": {
      const args = (event.call.arguments ?? {}) as { query?: unknown; url?: unknown; goal?: unknown };
      if (event.call.name === "search") {
        const queries = Array.isArray(args.query) ? args.query : [args.query];
        return `[${event.turn + 1}] search: ${queries.map((query) => JSON.stringify(query)).join(", ")}`;
      }
      if (event.call.name === "visit") {
        const urls = Array.isArray(args.url) ? args.url : [args.url];
        return `[${event.turn + 1}] read: ${urls.join(", ")}${args.goal ? ` — goal: ${oneLine(String(args.goal), 80)}` : ""}`;
      }
      return `[${event.turn + 1}] ${event.call.name}: ${oneLine(event.call.raw ?? JSON.stringify(event.call.arguments ?? null))}`;
    }
    case "tool-result":
      if (event.result.isError) return `[${event.turn + 1}]   ✗ ${oneLine(event.result.content, 120)}`;
      return event.result.name === "python"
        ? `[${event.turn + 1}]   → ${oneLine(event.result.content, 120)}`
        : `[${event.turn + 1}]   → ${event.result.sources.length} source(s)${event.result.cached ? " (cached)" : ""}: ${oneLine(event.result.sources.slice(0, 5).join(", "), 120)}`;
    case "invalid-action":
      return `[${event.turn + 1}]   ! invalid action: ${oneLine(event.feedback, 100)}`;
    case "answer":
      return `[${event.turn + 1}] answer: ${oneLine(event.answer)}`;
    case "summary":
      return `[${event.turn + 1}] context summarised (segment ${event.segment + 1} ends): ${oneLine(event.summary, 120)}`;
    default:
      return undefined;
  }
}

export function summarize(trajectory: Trajectory): string {
  const sources = [
    ...new Set(trajectory.turns.flatMap((turn) => turn.toolResults.flatMap((result) => result.sources))),
  ];
  const lines = [
    "",
    `Answer: ${trajectory.prediction ?? "(no answer)"}`,
    ...(sources.length > 0 ? ["Sources:", ...sources.slice(0, 10).map((source) => `  - ${source}`)] : []),
    `(${trajectory.termination}; ${trajectory.children ? `${trajectory.children.length} episodes, ${trajectory.children.reduce((sum, child) => sum + child.turns.length, 0)}` : trajectory.turns.length} turn(s), ${trajectory.usage.totalTokens} tokens, ${trajectory.usage.toolCalls} tool call(s)${trajectory.usage.costUsd > 0 ? `, $${trajectory.usage.costUsd.toFixed(4)}` : ""}, ${(trajectory.timings.durationMs / 1000).toFixed(1)} s)`,
  ];
  if (trajectory.error) lines.push(`error: ${trajectory.error.message}`);
  return lines.join("\n");
}

export function registerAskCommand(program: Command): void {
  const ask = program
    .command("ask")
    .description("research one question with an agent and print the answer with its sources")
    .argument("<question>", "the question")
    .option("--corpus <name>", "search this local corpus (see drkit corpus list)")
    .option("--search <provider>", "search provider: retrieve[:url], serper, searxng, brave, tavily, jina")
    .option("--protocol <name>", `agent protocol: ${PROTOCOL_NAMES.join(", ")}`, "react")
    .option("--base-url <url>", "OpenAI-compatible base URL (env OPENAI_BASE_URL / DRKIT_BASE_URL)")
    .option("--model <name>", "model name (env DRKIT_MODEL)")
    .option("--api-key <key>", "API key (env OPENAI_API_KEY / DRKIT_API_KEY)")
    .option("--max-turns <n>", "most model calls", integerOption("max-turns"))
    .option(
      "--max-context-tokens <n>",
      "context cap before the forced final answer",
      integerOption("max-context-tokens"),
    )
    .option("--temperature <t>", "sampling temperature", numberOption("temperature"))
    .option("--token-ids", "request token ids and logprobs (vLLM) and record the token view")
    .option(
      "--tokenizer <dir|hub-id>",
      "the model's tokenizer (HF snapshot dir or hub id in the local HF cache): render the chat with its template and sample token-in/token-out via /v1/completions",
    )
    .option("--stream", "stream model output")
    .option(
      "--visit <source>",
      "where visit reads pages: web, corpus:NAME, or access:URL (a retrieval server's /access: offline)",
    )
    .option("--no-visit", "do not offer the visit tool")
    .option(
      "--attach <file>",
      "attach a file to the question (GAIA style): its path is given and read_file may read it",
    )
    .option("--allow-loopback", "let visit fetch loopback addresses (local test sites)")
    .option("--jina-reader", "read web pages through Jina Reader (JINA_API_KEY) instead of fetching them directly")
    .option("--cache", "cache model replies and tool outputs under $DRKIT_HOME/cache")
    .option("--quiet", "do not show live steps")
    .option("--json", "print the trajectory record as JSON");
  addAgentOptions(ask).action(async (question: string, options: AskOptions, command: Command) => {
    if (!PROTOCOL_NAMES.includes(options.protocol as ProtocolName))
      throw new InputError(`unknown protocol "${options.protocol}": use ${PROTOCOL_NAMES.join(", ")}`);
    checkContextOptions(options);
    const attachment = options.attach ? resolve(options.attach) : undefined;
    if (attachment && !existsSync(attachment)) throw new InputError(`--attach: no file at ${options.attach}`);
    const config = configFrom(command, {
      model: {
        ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
        ...(options.model ? { model: options.model } : {}),
        ...(options.apiKey ? { apiKey: options.apiKey } : {}),
        ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
        ...(options.tokenIds ? { tokenIds: true } : {}),
      },
    });
    const agent = createAgentFromConfig(config, {
      protocol: options.protocol as ProtocolName,
      ...(options.corpus ? { corpus: options.corpus } : {}),
      ...(options.search ? { search: options.search } : {}),
      visit: options.visit !== false,
      ...(typeof options.visit === "string" ? { visitSource: options.visit } : {}),
      allowLoopback: options.allowLoopback,
      ...(options.scholar ? { scholar: true } : {}),
      ...(options.summarizeAt ? { summarizeAt: options.summarizeAt } : {}),
      ...(options.python ? { python: true } : {}),
      ...(options.readFile ? { readFileRoots: options.readFile } : {}),
      ...(attachment ? { attachments: [attachment] } : {}),
      jinaReader: options.jinaReader,
      cache: options.cache,
      ...(options.tokenizer ? { tokenizer: options.tokenizer } : {}),
    });
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.once("SIGINT", onSigint);
    try {
      const show = !options.quiet;
      const heavy = heavyModeFrom(options, agent.model);
      if (heavy && show) process.stderr.write(`heavy mode: ${heavy.parallel} episodes, then ${heavy.aggregate}\n`);
      const trajectory = await agent.run(
        questionWithAttachment(question, attachment),
        {
          limits: {
            ...(options.maxTurns !== undefined ? { maxTurns: options.maxTurns } : {}),
            ...(options.maxContextTokens !== undefined ? { maxContextTokens: options.maxContextTokens } : {}),
          },
          signal: controller.signal,
          ...(options.keepToolResults ? { context: { strategy: "keep-last-k", k: options.keepToolResults } } : {}),
          ...(options.stream ? { stream: true } : {}),
          onEvent: (event) => {
            const line = show ? describeEvent(event) : undefined;
            if (line) process.stderr.write(`${line}\n`);
          },
        },
        heavy,
      );
      if (options.json) printJson(trajectory);
      else process.stdout.write(`${summarize(trajectory)}\n`);
      if (trajectory.termination === "error") process.exitCode = 1;
    } finally {
      process.off("SIGINT", onSigint);
      await agent.close();
    }
  });
}
