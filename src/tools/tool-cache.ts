/** A per-tool response cache: the same tool called with the same input returns the stored output. */
import type { ResponseCache } from "../llm/response-cache.js";
import type { Tool, ToolContext, ToolOutput } from "./tool.js";

/** Wrap a tool so successful outputs are cached by (tool name, input). Errors are never cached. */
export function withToolCache<Input>(tool: Tool<Input>, cache: ResponseCache): Tool<Input> {
  return {
    name: tool.name,
    description: tool.description,
    inputSchema: tool.inputSchema,
    async execute(input: Input, context: ToolContext): Promise<ToolOutput> {
      const hit = cache.get<ToolOutput>(`tool:${tool.name}`, input);
      if (hit) return { ...hit, costUsd: 0, cached: true };
      const output = await tool.execute(input, context);
      if (!output.isError) cache.set(`tool:${tool.name}`, input, output);
      return output;
    },
  };
}
