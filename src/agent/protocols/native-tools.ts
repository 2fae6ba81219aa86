/**
 * Native OpenAI function calling (agent-formats.md §3): tools go in the request, the model answers with
 * `tool_calls`, results come back as `role: "tool"` messages. A reply without tool calls is the final answer
 * (the text inside `<answer>` tags when present, else the whole reply without its `<think>` block).
 */
import type { ChatMessage } from "../../core/trajectory.js";
import { splitThink } from "../../llm/reasoning.js";
import { extractTaggedAnswer, FORCED_ANSWER_INSTRUCTION, type ParsedTurn, type Protocol } from "./protocol.js";

export const NATIVE_BAD_ARGUMENTS =
  "Error: the arguments of this call are not valid JSON. Call the tool again with a JSON object.";

export function nativeSystemPrompt(currentDate: string, role?: string): string {
  return `${role ?? "You are a careful research assistant. Use the tools to investigate the user's question, check facts across sources, and when you are confident reply with a short final answer wrapped in <answer></answer> tags."}\n\nCurrent date: ${currentDate}`;
}

export function createNativeToolsProtocol(options: { maxCallsPerTurn?: number } = {}): Protocol {
  const maxCallsPerTurn = options.maxCallsPerTurn ?? 8;
  return {
    name: "tools",
    maxCallsPerTurn,
    forcedAnswerInstruction: FORCED_ANSWER_INSTRUCTION,

    initialMessages(context): ChatMessage[] {
      return [
        { role: "system", content: nativeSystemPrompt(context.currentDate, context.systemPrompt) },
        { role: "user", content: context.question },
      ];
    },

    requestFields(context, final) {
      return { tools: context.toolDefinitions, toolChoice: final ? "none" : "auto" };
    },

    parse(response, context, final): ParsedTurn {
      const text = response.text;
      if (response.toolCalls.length === 0 || final) {
        const tagged = extractTaggedAnswer(text);
        const answer = tagged ?? splitThink(text).rest.trim();
        if (answer === "")
          return {
            text,
            cut: false,
            action: "invalid",
            calls: [],
            feedback: "Your reply was empty. Call a tool or give the final answer.",
          };
        return { text, cut: false, action: "answer", calls: [], answer };
      }
      const names = new Set(context.tools.map((tool) => tool.name));
      const calls = response.toolCalls.map((call, index) => {
        if (call.arguments === undefined) return { ...call, error: NATIVE_BAD_ARGUMENTS };
        if (!names.has(call.name))
          return {
            ...call,
            error: `Error: tool "${call.name}" was not found. Available tools: ${[...names].join(", ")}.`,
          };
        if (index >= maxCallsPerTurn)
          return { ...call, error: `Error: only ${maxCallsPerTurn} tool calls per turn are run; call this one again.` };
        return call;
      });
      return {
        text,
        cut: false,
        action: calls.every((call) => "error" in call && call.error) ? "invalid" : "tool",
        calls,
      };
    },

    assistantMessage(parsed, response) {
      return {
        role: "assistant",
        content: parsed.text,
        ...(response.reasoning ? { reasoning: response.reasoning } : {}),
        ...(parsed.calls.length > 0 ? { toolCalls: parsed.calls.map(({ error: _error, ...call }) => call) } : {}),
      };
    },

    observationMessages(parsed, results) {
      if (parsed.calls.length === 0) {
        const observation = parsed.feedback ?? "Call a tool or give the final answer.";
        return { messages: [{ role: "user", content: observation }], observation };
      }
      const messages: ChatMessage[] = results.map((result) => ({
        role: "tool",
        content: result.content,
        toolCallId: result.call.id,
        name: result.call.name,
      }));
      return { messages, observation: results.map((result) => result.content).join("\n") };
    },

    extractAnswer: (text) => extractTaggedAnswer(text) ?? (splitThink(text).rest.trim() || undefined),
  };
}

export const nativeToolsProtocol = createNativeToolsProtocol();
