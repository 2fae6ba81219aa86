/**
 * The `Tool` contract. A tool has a name, a description, a zod input schema (turned into the JSON schema sent to
 * models that call tools natively) and `execute(input, context)`. Tools report failures as `isError` results
 * (the agent shows them to the model as observations); `runTool` also turns thrown errors and bad input into
 * such results, so a tool failure never ends a run.
 */
import { z } from "zod";
import { ToolTimeoutError } from "../core/errors.js";
import type { ToolDefinition } from "../llm/chat-model.js";

export interface ToolContext {
  signal?: AbortSignal;
  /** Question being researched (tools may log or key caches with it). */
  question?: string;
  /** Id of that question, when the episode has one (per-question environments). */
  questionId?: string;
}

export interface ToolOutput {
  /** Text shown to the model. */
  content: string;
  /** Ids of passages / URLs the output came from. */
  sources?: string[];
  isError?: boolean;
  /** Money spent by the tool (search API, extractor model). */
  costUsd?: number;
  /** True when the output came from a cache. */
  cached?: boolean;
}

export interface Tool<Input = unknown> {
  readonly name: string;
  readonly description: string;
  readonly inputSchema: z.ZodType<Input>;
  execute(input: Input, context: ToolContext): Promise<ToolOutput>;
}

/** The native function-calling definition of a tool (JSON schema from zod). */
const definitions = new WeakMap<Tool, ToolDefinition>();

export function toolDefinition(tool: Tool): ToolDefinition {
  const known = definitions.get(tool);
  if (known) return known;
  const schema = z.toJSONSchema(tool.inputSchema, { target: "draft-7", io: "input" }) as Record<string, unknown>;
  delete schema.$schema;
  const definition = { name: tool.name, description: tool.description, parameters: schema };
  definitions.set(tool, definition);
  return definition;
}

export interface ToolRunResult {
  content: string;
  sources: string[];
  isError: boolean;
  costUsd: number;
  cached: boolean;
  durationMs: number;
}

export interface RunToolOptions extends ToolContext {
  /** Fail the call (as an error result) after this long. */
  timeoutMs?: number;
}

/** Validate the input and run the tool; bad input, thrown errors and aborts come back as `isError` results. */
export async function runTool(tool: Tool, input: unknown, options: RunToolOptions = {}): Promise<ToolRunResult> {
  const { timeoutMs, ...context } = options;
  const started = performance.now();
  const parsed = tool.inputSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(arguments)"}: ${issue.message}`);
    return {
      content: `Invalid arguments for tool "${tool.name}": ${issues.join("; ")}. Fix the arguments and call the tool again.`,
      sources: [],
      isError: true,
      costUsd: 0,
      cached: false,
      durationMs: performance.now() - started,
    };
  }
  // One timer for the timeout; the tool's AbortController (and its link to the caller's signal) is only made
  // when the tool reads `context.signal` (creating AbortSignals cost more CPU than the rest of a quick tool call).
  let timer: NodeJS.Timeout | undefined;
  let controller: AbortController | undefined;
  let expired = false;
  const outer = context.signal;
  const onAbort = () => controller?.abort();
  try {
    let output: ToolOutput;
    if (timeoutMs === undefined) output = await tool.execute(parsed.data, context);
    else {
      const signal = (): AbortSignal => {
        if (!controller) {
          controller = new AbortController();
          if (expired || outer?.aborted) controller.abort();
          else outer?.addEventListener("abort", onAbort, { once: true });
        }
        return controller.signal;
      };
      const toolContext: ToolContext = {
        ...context,
        get signal() {
          return signal();
        },
      };
      // One promise settled by whichever comes first, the tool or the timer (lighter than Promise.race).
      output = await new Promise<ToolOutput>((resolve, reject) => {
        timer = setTimeout(() => {
          expired = true;
          controller?.abort();
          reject(new ToolTimeoutError(`timed out after ${timeoutMs} ms`));
        }, timeoutMs);
        Promise.resolve(tool.execute(parsed.data, toolContext)).then(resolve, reject);
      });
    }
    return {
      content: output.content,
      sources: output.sources ?? [],
      isError: output.isError ?? false,
      costUsd: output.costUsd ?? 0,
      cached: output.cached ?? false,
      durationMs: performance.now() - started,
    };
  } catch (error) {
    if (outer?.aborted) throw error;
    return {
      content: `Tool "${tool.name}" failed: ${error instanceof Error ? error.message : String(error)}`,
      sources: [],
      isError: true,
      costUsd: 0,
      cached: false,
      durationMs: performance.now() - started,
    };
  } finally {
    if (timer) clearTimeout(timer);
    if (controller) outer?.removeEventListener("abort", onAbort);
  }
}
