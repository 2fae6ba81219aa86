/**
 * Any AI SDK (v6) language model as a drkit `ChatModel`: Anthropic, Google, Bedrock, Mistral… or
 * `@ai-sdk/openai-compatible` — whatever provider package the user installs. Token ids and logprobs are
 * not part of the AI SDK's model contract, so RL rollouts that need them use `OpenAICompatibleChatModel`.
 *
 *   import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
 *   const provider = createOpenAICompatible({ name: "local", baseURL: "http://127.0.0.1:8000/v1" });
 *   const model = new AiSdkChatModel(provider.chatModel("Qwen/Qwen3-8B"));
 */
import { generateText, jsonSchema, type LanguageModel, type ModelMessage, type ToolSet, tool } from "ai";
import { ProviderError } from "../core/errors.js";
import type { ChatMessage, ToolCall } from "../core/trajectory.js";
import type { ChatModel, ChatRequest, ChatResponse } from "./chat-model.js";

function toModelMessages(messages: ChatMessage[]): ModelMessage[] {
  const toolNames = new Map<string, string>();
  const out: ModelMessage[] = [];
  for (const message of messages) {
    if (message.role === "system") out.push({ role: "system", content: message.content });
    else if (message.role === "user") out.push({ role: "user", content: message.content });
    else if (message.role === "assistant") {
      const calls = message.toolCalls ?? [];
      if (calls.length === 0) {
        out.push({ role: "assistant", content: message.content });
        continue;
      }
      for (const call of calls) toolNames.set(call.id, call.name);
      out.push({
        role: "assistant",
        content: [
          ...(message.content ? [{ type: "text" as const, text: message.content }] : []),
          ...calls.map((call) => ({
            type: "tool-call" as const,
            toolCallId: call.id,
            toolName: call.name,
            input: call.arguments ?? {},
          })),
        ],
      });
    } else {
      const callId = message.toolCallId ?? "";
      out.push({
        role: "tool",
        content: [
          {
            type: "tool-result",
            toolCallId: callId,
            toolName: message.name ?? toolNames.get(callId) ?? "tool",
            output: { type: "text", value: message.content },
          },
        ],
      });
    }
  }
  return out;
}

function toToolSet(request: ChatRequest): ToolSet | undefined {
  if (!request.tools || request.tools.length === 0) return undefined;
  const tools: ToolSet = {};
  for (const definition of request.tools) {
    // No `execute`: drkit's loop runs the tools itself, so calls come back to it.
    tools[definition.name] = tool({
      description: definition.description,
      inputSchema: jsonSchema(definition.parameters as Parameters<typeof jsonSchema>[0]),
    });
  }
  return tools;
}

export class AiSdkChatModel implements ChatModel {
  readonly name: string;

  constructor(
    private readonly model: Exclude<LanguageModel, string>,
    options: { name?: string } = {},
  ) {
    this.name = options.name ?? model.modelId;
  }

  async complete(request: ChatRequest, signal?: AbortSignal): Promise<ChatResponse> {
    let result: Awaited<ReturnType<typeof generateText>>;
    try {
      result = await generateText({
        model: this.model,
        messages: toModelMessages(request.messages),
        // drkit's protocols put their instructions in the system message on purpose.
        allowSystemInMessages: true,
        tools: toToolSet(request),
        toolChoice: request.toolChoice,
        stopSequences: request.stop,
        temperature: request.temperature,
        topP: request.topP,
        maxOutputTokens: request.maxTokens,
        seed: request.seed,
        presencePenalty: request.presencePenalty,
        abortSignal: signal,
        maxRetries: 0,
      });
    } catch (error) {
      throw new ProviderError(`AI SDK model ${this.name} failed: ${(error as Error).message}`, {}, { cause: error });
    }
    const toolCalls: ToolCall[] = result.toolCalls.map((call) => ({
      id: call.toolCallId,
      name: call.toolName,
      arguments: call.input,
      raw: JSON.stringify(call.input),
    }));
    request.onDelta?.({ text: result.text, ...(result.reasoningText ? { reasoning: result.reasoningText } : {}) });
    return {
      text: result.text,
      ...(result.reasoningText ? { reasoning: result.reasoningText } : {}),
      toolCalls,
      finishReason: result.finishReason === "tool-calls" ? "tool_calls" : result.finishReason,
      usage: { promptTokens: result.usage.inputTokens ?? 0, completionTokens: result.usage.outputTokens ?? 0 },
      model: result.response.modelId,
    };
  }
}
