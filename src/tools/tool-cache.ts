/** A per-tool response cache: the same tool called with the same input returns the stored output. */
import type { ResponseCache } from "../llm/response-cache.js";
import type { Tool, ToolContext, ToolOutput } from "./tool.js";

/**
 * Wrap a tool so successful outputs are cached by (tool name, variant, input). `variant` separates tools whose
 * output for the same input differs (e.g. the search rendering style). Errors are never cached.
 */
export function withToolCache<Input>(tool: Tool<Input>, cache: ResponseCache, variant = ""): Tool<Input> {
  const namespace = `tool:${tool.name}${variant ? `:${variant}` : ""}`;
  return {
    name: tool.name,
    description: tool.description,
    inputSchema: tool.inputSchema,
    async execute(input: Input, context: ToolContext): Promise<ToolOutput> {
      const hit = cache.get<ToolOutput>(namespace, input);
      if (hit) return { ...hit, costUsd: 0, cached: true };
      const output = await tool.execute(input, context);
      if (!output.isError) cache.set(namespace, input, output);
      return output;
    },
  };
}
