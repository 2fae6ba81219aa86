/**
 * `runAgent`: one research episode under a protocol — model call, parse, run tools (in parallel where the
 * protocol allows), append observations — until an answer or a limit, recorded as a `Trajectory`. Never throws
 * for model, tool or limit failures: they end the episode with a termination label (and `error` for failures).
 */
import { randomUUID } from "node:crypto";
import { UsageTracker } from "../core/budget.js";
import { DrkitError, describeError, InputError } from "../core/errors.js";
import { taggedBlocks } from "../core/tagged-blocks.js";
import {
  type ChatMessage,
  type Segment,
  type Termination,
  type ToolResult,
  TRAJECTORY_VERSION,
  type Trajectory,
  type Turn,
} from "../core/trajectory.js";
import type { ChatRequest, ChatResponse, ToolDefinition } from "../llm/chat-model.js";
import { SearchTool } from "../tools/search/search-tool.js";
import { runTool, type Tool, toolDefinition } from "../tools/tool.js";
import { DEFAULT_MAX_SUMMARIES, visibleMessages } from "./context-strategy.js";
import { createNativeToolsProtocol } from "./protocols/native-tools.js";
import type { ObservationResult, ParsedTurn, Protocol, ProtocolContext } from "./protocols/protocol.js";
import { truncateMiddle } from "./protocols/protocol.js";
import { createReactProtocol } from "./protocols/react.js";
import { searchR1Protocol } from "./protocols/search-r1.js";
import { extractSummary, resumedQuestion, summaryRequest, tokenPathChatModel } from "./summarize-history.js";
import { TokenSession } from "./token-session.js";
import { buildTokenView, type TokenViewResult } from "./token-view.js";
import type { AgentEvent, ProtocolName, RunAgentOptions } from "./types.js";

/** The fields a trajectory takes from the episode's options (shared with heavy mode's parent record). */
export function episodeHeader(options: RunAgentOptions, id: string) {
  return {
    version: TRAJECTORY_VERSION,
    id,
    ...(options.questionId !== undefined ? { questionId: options.questionId } : {}),
    question: options.question,
    goldAnswers: options.goldAnswers ?? [],
    protocol: options.protocol,
    sample: options.sample ?? 0,
  };
}

export const DEFAULT_LIMITS = {
  maxTurns: 30,
  maxObservationChars: 20_000,
  toolTimeoutMs: 120_000,
} as const;

export function protocolFor(name: ProtocolName): Protocol {
  switch (name) {
    case "search-r1":
      return searchR1Protocol;
    case "react":
      return createReactProtocol();
    case "tools":
      return createNativeToolsProtocol();
  }
}

/** Search-R1 renders documents its own way: give it the search tool in that style. */
function toolsForProtocol(protocol: ProtocolName, tools: Tool[]): Tool[] {
  if (protocol !== "search-r1") return tools;
  return tools.map((tool) =>
    tool instanceof SearchTool && tool.style !== "search-r1" ? tool.withStyle("search-r1") : tool,
  );
}

/** The native tool schemas a protocol sends, recorded so exports can render the same prompt. */
function offeredTools(protocol: Protocol, context: ProtocolContext): { tools?: ToolDefinition[] } {
  const tools = protocol.requestFields(context, false).tools;
  return tools && tools.length > 0 ? { tools } : {};
}

/** The token view of a segment's turns on the chat path (server-returned ids), with global turn indexes. */
function segmentTokenView(
  turns: readonly Turn[],
  name: string,
  tokenizer: RunAgentOptions["tokenizer"],
): TokenViewResult {
  if (!turns.some((turn) => turn.tokenIds)) return {};
  const result = buildTokenView(turns, name, tokenizer);
  const offset = turns[0]?.index ?? 0;
  for (const span of result.view?.spans ?? []) span.turn += offset;
  return result;
}

function estimateTokens(messages: readonly ChatMessage[]): number {
  let chars = 0;
  for (const message of messages) chars += message.content.length + (message.reasoning?.length ?? 0) + 8;
  return Math.ceil(chars / 4);
}

/** One token-path call: the room left in the context bounds `max_tokens`; none left ends the episode. */
async function sampleTokens(
  session: TokenSession,
  request: ChatRequest,
  turnIndex: number,
  signal: AbortSignal | undefined,
): Promise<ChatResponse> {
  const room = session.room(request.maxTokens);
  if (room <= 0) throw new Stop("generate an answer as token limit reached");
  return session.sample(request, turnIndex, room, signal);
}

class Stop {
  constructor(
    readonly termination: Termination,
    readonly error?: { code: string; message: string },
  ) {}
}

export async function runAgent(options: RunAgentOptions): Promise<Trajectory> {
  const model = options.model;
  if (!model && !options.token)
    throw new InputError("runAgent needs a chat model (`model`) or a token sampler with its chat template (`token`)");
  const started = new Date();
  const startedMs = performance.now();
  const limits = { ...DEFAULT_LIMITS, ...(options.limits ?? {}) };
  const protocol = protocolFor(options.protocol);
  const tools = toolsForProtocol(options.protocol, options.tools);
  const toolByName = new Map(tools.map((tool) => [tool.name, tool]));
  const context: ProtocolContext = {
    question: options.question,
    tools,
    toolDefinitions: tools.map((tool) => toolDefinition(tool as Tool)),
    currentDate: options.currentDate ?? started.toISOString().slice(0, 10),
    ...(options.systemPrompt ? { systemPrompt: options.systemPrompt } : {}),
    ...(options.invalidFeedback !== undefined ? { invalidFeedback: options.invalidFeedback } : {}),
  };
  const tracker = new UsageTracker({ maxCostUsd: limits.maxCostUsd, maxWallClockMs: limits.maxWallClockMs });
  const messages: ChatMessage[] = protocol.initialMessages(context);
  let session: TokenSession | undefined;
  const turns: Turn[] = [];
  const id = options.id ?? randomUUID();
  const listening = options.onEvent !== undefined;
  const cacheSalt = `${options.questionId ?? options.question}#${options.sample ?? 0}`;
  const emit = (event: AgentEvent) => {
    try {
      options.onEvent?.(event);
    } catch {
      // a listener failure must not end the run
    }
  };
  let termination: Termination = "answer not found";
  let prediction: string | null = null;
  let runError: { code: string; message: string } | undefined;
  const metadata: Record<string, unknown> = {
    ...(options.metadata ?? {}),
    ...(options.context ? { context: options.context } : {}),
  };
  if (options.context?.strategy === "keep-last-k" && options.token)
    throw new InputError(
      "keep-last-k rewrites earlier messages, and the token path only appends: run it on the chat path (without a tokenizer), or use the summarize strategy",
    );
  /** Message indexes of each tool turn's observation, in order (for the context strategy). */
  let observationTurns: number[][] = [];
  /** The `summarize` strategy: earlier segments, and where the current one starts. */
  const segments: Segment[] = [];
  let segmentFirstTurn = 0;
  let openingMessages = messages.length;
  const tokenViewName = options.tokenizer?.name ?? model?.name ?? "";
  if (listening) emit({ type: "run-start", trajectoryId: id, question: options.question, protocol: options.protocol });

  const checkLimits = () => {
    if (options.signal?.aborted) throw new Stop("cancelled");
    if (limits.maxWallClockMs !== undefined && tracker.elapsedMs() > limits.maxWallClockMs)
      throw new Stop("wall clock limit");
    if (limits.maxCostUsd !== undefined && tracker.usage.costUsd > limits.maxCostUsd) throw new Stop("budget exceeded");
  };

  const callModel = async (turnIndex: number, final: boolean): Promise<{ response: ChatResponse; ms: number }> => {
    // Plain assignments rather than conditional spreads: this runs once per step.
    const request: ChatRequest = {
      messages: visibleMessages(messages, observationTurns, options.context),
      ...protocol.requestFields(context, final),
    };
    const sampling = options.sampling;
    if (sampling?.temperature !== undefined) request.temperature = sampling.temperature;
    if (sampling?.topP !== undefined) request.topP = sampling.topP;
    if (sampling?.seed !== undefined) request.seed = sampling.seed;
    if (sampling?.presencePenalty !== undefined) request.presencePenalty = sampling.presencePenalty;
    if (limits.maxTokensPerTurn !== undefined) request.maxTokens = limits.maxTokensPerTurn;
    if (options.tokenIds !== undefined) request.tokenIds = options.tokenIds;
    if (options.stream) {
      request.stream = true;
      request.onDelta = (delta) => emit({ type: "model-delta", turn: turnIndex, ...delta });
    }
    request.cacheSalt = cacheSalt;
    const before = performance.now();
    // A wall-clock limit also bounds the model call.
    const wallSignal =
      limits.maxWallClockMs !== undefined
        ? AbortSignal.timeout(Math.max(1, limits.maxWallClockMs - tracker.elapsedMs()))
        : undefined;
    const signal =
      options.signal && wallSignal ? AbortSignal.any([options.signal, wallSignal]) : (options.signal ?? wallSignal);
    try {
      const response = session
        ? await sampleTokens(session, request, turnIndex, signal)
        : await (model as NonNullable<typeof model>).complete(request, signal);
      tracker.chargeResponse(response);
      return { response, ms: performance.now() - before };
    } catch (error) {
      if (error instanceof Stop) throw error;
      if (options.signal?.aborted) throw new Stop("cancelled");
      if (wallSignal?.aborted) throw new Stop("wall clock limit");
      throw new Stop("error", {
        code: DrkitError.isInstance(error) ? error.code : "provider",
        message: describeError(error),
      });
    }
  };

  const runCalls = async (
    turnIndex: number,
    parsed: ParsedTurn,
  ): Promise<{ results: ObservationResult[]; records: ToolResult[] }> => {
    const records: ToolResult[] = new Array(parsed.calls.length);
    const results: ObservationResult[] = new Array(parsed.calls.length);
    await Promise.all(
      parsed.calls.map(async (call, index) => {
        if (listening) emit({ type: "tool-call", turn: turnIndex, call });
        let content: string;
        let isError: boolean;
        let sources: string[] = [];
        let durationMs = 0;
        let cached = false;
        const tool = toolByName.get(call.name);
        if (call.error || !tool) {
          content = call.error ?? `Error: tool "${call.name}" was not found.`;
          isError = true;
        } else {
          const outcome = await runTool(tool as Tool, call.arguments, {
            signal: options.signal,
            question: options.question,
            ...(options.questionId !== undefined ? { questionId: options.questionId } : {}),
            timeoutMs: limits.toolTimeoutMs,
          });
          content = truncateMiddle(outcome.content, limits.maxObservationChars);
          isError = outcome.isError;
          sources = outcome.sources;
          durationMs = outcome.durationMs;
          cached = outcome.cached;
          tracker.chargeTool(outcome.costUsd);
        }
        const record: ToolResult = { callId: call.id, name: call.name, content, isError, durationMs, sources, cached };
        records[index] = record;
        results[index] = { call, content, isError };
        if (listening) emit({ type: "tool-result", turn: turnIndex, result: record });
      }),
    );
    return { results, records };
  };

  const recordTurn = (
    turnIndex: number,
    response: ChatResponse,
    parsed: ParsedTurn,
    startedAt: string,
    modelMs: number,
  ): Turn => {
    const turn: Turn = {
      index: turnIndex,
      text: parsed.text,
      action: parsed.action,
      toolCalls: parsed.calls.map(({ error: _error, ...call }) => call),
      toolResults: [],
      usage: { promptTokens: response.usage.promptTokens, completionTokens: response.usage.completionTokens },
      startedAt,
      modelMs,
      toolMs: 0,
      finishReason: response.finishReason,
      ...(response.reasoning ? { reasoning: response.reasoning } : {}),
      ...(response.promptTokenIds ? { promptTokenIds: response.promptTokenIds } : {}),
    };
    // On the chat path, token ids belong to the sampled text; after a protocol cut they no longer match it, so
    // they are dropped. On the token path the ids are the context itself and are always kept.
    if (response.tokenIds && (session || !parsed.cut)) {
      turn.tokenIds = response.tokenIds;
      if (response.logprobs) turn.logprobs = response.logprobs;
    } else if (response.tokenIds) {
      metadata.tokenIdsDropped = [...((metadata.tokenIdsDropped as number[] | undefined) ?? []), turnIndex];
    }
    turns.push(turn);
    return turn;
  };

  /** The forced-final-answer turn (context cap reached): replace the last message, one more call. */
  const forcedAnswer = async () => {
    const last = messages[messages.length - 1];
    if (session) messages.push({ role: "user", content: protocol.forcedAnswerInstruction });
    else if (last) messages[messages.length - 1] = { ...last, content: protocol.forcedAnswerInstruction };
    const turnIndex = turns.length;
    if (listening) emit({ type: "step-start", turn: turnIndex });
    const startedAt = new Date().toISOString();
    const { response, ms } = await callModel(turnIndex, true);
    const parsed = protocol.parse(response, context, true);
    const turn = recordTurn(turnIndex, response, parsed, startedAt, ms);
    messages.push(protocol.assistantMessage(parsed, response));
    if (listening) emit({ type: "step-end", turn: turnIndex, usage: { ...tracker.usage } });
    const answer = parsed.action === "answer" ? parsed.answer : undefined;
    if (answer !== undefined) {
      turn.action = "answer";
      prediction = answer;
      termination = "generate an answer as token limit reached";
      if (listening) emit({ type: "answer", turn: turnIndex, answer });
    } else {
      turn.action = "none";
      prediction = parsed.text;
      termination = "format error: generate an answer as token limit reached";
    }
  };

  /** Whether the summarize strategy applies now, at this context size. */
  const shouldSummarize = (contextTokens: number): boolean =>
    options.context?.strategy === "summarize" &&
    contextTokens > options.context.thresholdTokens &&
    segments.length < (options.context.maxSummaries ?? DEFAULT_MAX_SUMMARIES);

  /** ReSum: condense the segment into a state, record the segment, restart from question + state. */
  const summarizeAndRestart = async (lastTurn: number, contextTokens: number) => {
    const summarizer =
      options.summarizer ?? model ?? tokenPathChatModel(options.token as NonNullable<typeof options.token>);
    const previous = segments[segments.length - 1]?.summary;
    let summary: string;
    try {
      const response = await summarizer.complete(
        summaryRequest(options.question, previous, messages.slice(openingMessages)),
        options.signal,
      );
      tracker.chargeResponse(response);
      summary = extractSummary(response.text);
    } catch (error) {
      if (options.signal?.aborted) throw new Stop("cancelled");
      throw new Stop("error", {
        code: DrkitError.isInstance(error) ? error.code : "provider",
        message: `summariser: ${describeError(error)}`,
      });
    }
    const segmentTurns = turns.slice(segmentFirstTurn);
    const tokens = session ? session.view() : segmentTokenView(segmentTurns, tokenViewName, options.tokenizer).view;
    segments.push({
      firstTurn: segmentFirstTurn,
      lastTurn,
      messages: [...messages],
      ...(tokens ? { tokens } : {}),
      summary,
      contextTokens,
    });
    if (listening) emit({ type: "summary", turn: lastTurn, summary, segment: segments.length - 1 });
    const fresh = protocol.initialMessages({ ...context, question: resumedQuestion(options.question, summary) });
    messages.splice(0, messages.length, ...fresh);
    openingMessages = fresh.length;
    observationTurns = [];
    segmentFirstTurn = lastTurn + 1;
    if (session)
      session = new TokenSession(
        options.token as NonNullable<typeof options.token>,
        messages,
        protocol.requestFields(context, false).tools,
        session.maxContextTokens,
      );
  };

  try {
    if (options.token) {
      const maxContext = Math.min(
        limits.maxContextTokens ?? Number.POSITIVE_INFINITY,
        options.token.sampler.maxContextTokens ?? Number.POSITIVE_INFINITY,
      );
      session = new TokenSession(options.token, messages, protocol.requestFields(context, false).tools, maxContext);
    }
    let answered = false;
    for (let turnIndex = 0; turnIndex < limits.maxTurns && !answered; turnIndex++) {
      checkLimits();
      if (listening) emit({ type: "step-start", turn: turnIndex });
      const startedAt = new Date().toISOString();
      const { response, ms } = await callModel(turnIndex, false);
      const parsed = protocol.parse(response, context, false);
      if (options.protocol !== "tools")
        for (const [index, call] of parsed.calls.entries()) call.id = `call_${turnIndex}_${index}`;
      const turn = recordTurn(turnIndex, response, parsed, startedAt, ms);
      messages.push(protocol.assistantMessage(parsed, response));
      const think = taggedBlocks(parsed.text, "<think>", "</think>")[0]?.trim() ?? response.reasoning;
      if (think) emit({ type: "think", turn: turnIndex, text: think });
      if (parsed.action === "answer") {
        prediction = parsed.answer ?? null;
        termination = "answer";
        answered = true;
        if (listening) emit({ type: "answer", turn: turnIndex, answer: prediction ?? "" });
        if (listening) emit({ type: "step-end", turn: turnIndex, usage: { ...tracker.usage } });
        break;
      }
      const toolsStarted = performance.now();
      const { results, records } =
        parsed.calls.length > 0 ? await runCalls(turnIndex, parsed) : { results: [], records: [] };
      turn.toolMs = performance.now() - toolsStarted;
      turn.toolResults = records;
      if (parsed.action === "invalid" && parsed.feedback)
        if (listening) emit({ type: "invalid-action", turn: turnIndex, feedback: parsed.feedback });
      const { messages: observationMessages, observation } = protocol.observationMessages(parsed, results);
      turn.observation = observation;
      if (session) {
        const ids = session.continuation(observationMessages);
        if (!session.fits(ids)) {
          // The observation would pass the context cap: ask for the final answer instead (Tongyi rule).
          const instruction = session.continuation([{ role: "user", content: protocol.forcedAnswerInstruction }]);
          if (!session.fits(instruction)) throw new Stop("generate an answer as token limit reached");
          session.appendObservation(turnIndex, instruction);
          if (listening) emit({ type: "step-end", turn: turnIndex, usage: { ...tracker.usage } });
          checkLimits();
          await forcedAnswer();
          answered = true;
          break;
        }
        session.appendObservation(turnIndex, ids);
      }
      if (parsed.calls.length > 0)
        observationTurns.push(observationMessages.map((_, index) => messages.length + index));
      messages.push(...observationMessages);
      if (listening) emit({ type: "step-end", turn: turnIndex, usage: { ...tracker.usage } });
      if (options.signal?.aborted) throw new Stop("cancelled");
      // The context size, counted only when a strategy or the chat-path cap needs it (the estimate reads every message).
      const capped = limits.maxContextTokens !== undefined && !session;
      if (options.context?.strategy !== "summarize" && !capped) continue;
      const used = session
        ? session.length
        : response.usage.promptTokens > 0
          ? response.usage.promptTokens + response.usage.completionTokens + Math.ceil(observation.length / 4)
          : estimateTokens(messages);
      if (shouldSummarize(used) && turnIndex + 1 < limits.maxTurns) {
        checkLimits();
        await summarizeAndRestart(turnIndex, used);
        continue;
      }
      if (capped && used > (limits.maxContextTokens as number)) {
        checkLimits();
        await forcedAnswer();
        answered = true;
        break;
      }
    }
    if (!answered) {
      if (options.protocol === "search-r1") {
        // Search-R1: one last generation with search disabled.
        checkLimits();
        const turnIndex = turns.length;
        if (listening) emit({ type: "step-start", turn: turnIndex });
        const startedAt = new Date().toISOString();
        const { response, ms } = await callModel(turnIndex, true);
        const parsed = protocol.parse(response, context, true);
        recordTurn(turnIndex, response, parsed, startedAt, ms);
        messages.push(protocol.assistantMessage(parsed, response));
        if (listening) emit({ type: "step-end", turn: turnIndex, usage: { ...tracker.usage } });
        if (parsed.action === "answer") {
          prediction = parsed.answer ?? null;
          termination = "answer";
          if (listening) emit({ type: "answer", turn: turnIndex, answer: prediction ?? "" });
        } else termination = "max turns reached";
      } else termination = "exceed available llm calls";
    }
  } catch (error) {
    if (error instanceof Stop) {
      termination = error.termination;
      runError = error.error;
    } else if (options.signal?.aborted) {
      termination = "cancelled";
    } else {
      termination = "error";
      runError = { code: DrkitError.isInstance(error) ? error.code : "internal", message: describeError(error) };
    }
  }

  const usage = { ...tracker.usage };
  const trajectory: Trajectory = {
    ...episodeHeader(options, id),
    model: model?.name ?? options.token?.sampler.name,
    messages,
    ...offeredTools(protocol, context),
    turns,
    ...(segments.length > 0 ? { segments } : {}),
    usage,
    timings: {
      startedAt: started.toISOString(),
      endedAt: new Date().toISOString(),
      durationMs: performance.now() - startedMs,
    },
    termination,
    prediction,
    verdicts: [],
    ...(runError ? { error: runError } : {}),
    metadata,
  };
  if (session) trajectory.tokens = session.view();
  else {
    const { view, reason } = segmentTokenView(turns.slice(segmentFirstTurn), tokenViewName, options.tokenizer);
    if (view) trajectory.tokens = view;
    else if (reason) metadata.tokenViewMissing = reason;
  }
  if (listening) emit({ type: "run-end", termination, prediction });
  return trajectory;
}
