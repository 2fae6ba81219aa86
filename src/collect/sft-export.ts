/**
 * SFT exports with observation masking (docs/collect.md): the loss is taken on assistant turns only;
 * system, user and tool/observation messages stay in the context with the loss off.
 * - `sft-chatml`: OpenAI-style messages, each with a `loss` flag (native tool calls kept as `tool_calls`).
 * - `webdancer`: WebDancer's `sample_traj.jsonl` record: chatml text turns with `<think>`, `<tool_call>` and
 *   user `<tool_response>` blocks, a `functions` list, and `answer` as a list of answer lists.
 */
import type { ChatMessage, Trajectory } from "../core/trajectory.js";
import { functionTools } from "../llm/chat-model.js";
import { wrapReasoning } from "../llm/reasoning.js";

export interface SftChatmlMessage {
  role: ChatMessage["role"];
  content: string;
  /**
   * Native tool calls with `arguments` as a JSON object, as chat templates render them (`tool_call.arguments | tojson`
   * in TRL / transformers) and as vLLM's hermes parser and verl produce them; a string here would teach the model to
   * write an escaped string.
   */
  tool_calls?: Array<{ id: string; type: "function"; function: { name: string; arguments: unknown } }>;
  tool_call_id?: string;
  name?: string;
  /** true: train on this message's tokens; false: context only (masked, label −100). */
  loss: boolean;
}

export interface SftChatmlRecord {
  id: string;
  question_id: string | null;
  question: string;
  answers: string[];
  messages: SftChatmlMessage[];
  /**
   * The tools the model was offered natively, in the OpenAI shape TRL and LLaMA-Factory pass to the chat template
   * (`apply_chat_template(messages, tools=tools)`), so the training prompt equals the inference prompt. Absent for
   * text protocols, whose system message already carries the tools.
   */
  tools?: ReturnType<typeof functionTools>;
  reward: number | null;
}

export interface SftExportOptions {
  /** `inline` (default) wraps reasoning as `<think>…</think>` before the content; `drop` omits it. */
  reasoning?: "inline" | "drop";
}

function assistantContent(message: ChatMessage, options: SftExportOptions): string {
  return options.reasoning === "drop" ? message.content : wrapReasoning(message.content, message.reasoning);
}

export function toSftChatml(trajectory: Trajectory, options: SftExportOptions = {}): SftChatmlRecord {
  const messages = trajectory.messages.map((message): SftChatmlMessage => {
    const out: SftChatmlMessage = {
      role: message.role,
      content: message.role === "assistant" ? assistantContent(message, options) : message.content,
      loss: message.role === "assistant",
    };
    if (message.toolCalls && message.toolCalls.length > 0) {
      out.tool_calls = message.toolCalls.map((call) => ({
        id: call.id,
        type: "function",
        function: { name: call.name, arguments: call.arguments ?? {} },
      }));
    }
    if (message.toolCallId) out.tool_call_id = message.toolCallId;
    if (message.name) out.name = message.name;
    return out;
  });
  return {
    id: trajectory.id,
    question_id: trajectory.questionId ?? null,
    question: trajectory.question,
    answers: trajectory.goldAnswers,
    messages,
    ...(trajectory.tools ? { tools: functionTools(trajectory.tools) } : {}),
    reward: trajectory.reward?.score ?? null,
  };
}

export interface WebDancerFunction {
  name_for_human: string;
  name_for_model: string;
  description_for_model: string;
  parameters: unknown;
}

export interface WebDancerRecord {
  type: "chatml";
  task: "agent/multiturn_search";
  messages: Array<{ role: "system" | "user" | "assistant"; content: string }>;
  functions: WebDancerFunction[];
  tool_calls: [];
  answer: string[][];
  tag: string;
}

/** Function descriptions for the tools drkit agents use (our wording); others get a generic entry. */
const KNOWN_FUNCTIONS: Record<string, Omit<WebDancerFunction, "name_for_human" | "name_for_model">> = {
  search: {
    description_for_model:
      "Run one or more web or corpus search queries at once and return the top results for each query.",
    parameters: {
      type: "object",
      properties: { query: { type: "array", items: { type: "string" }, description: "the search queries" } },
      required: ["query"],
    },
  },
  visit: {
    description_for_model: "Open one or more pages and return a summary of the content relevant to the goal.",
    parameters: {
      type: "object",
      properties: {
        url: { type: "array", items: { type: "string" }, description: "the page URLs" },
        goal: { type: "string", description: "what information to look for on the pages" },
      },
      required: ["url", "goal"],
    },
  },
};

function functionsUsed(trajectory: Trajectory): WebDancerFunction[] {
  const names = new Set<string>();
  for (const turn of trajectory.turns) for (const call of turn.toolCalls) names.add(call.name);
  if (names.size === 0) names.add("search");
  return [...names].map((name) => ({
    name_for_human: name,
    name_for_model: name,
    ...(KNOWN_FUNCTIONS[name] ?? {
      description_for_model: `The ${name} tool.`,
      parameters: { type: "object", properties: {} },
    }),
  }));
}

function renderToolCall(call: NonNullable<ChatMessage["toolCalls"]>[number]): string {
  return `<tool_call>\n${JSON.stringify({ name: call.name, arguments: call.arguments ?? {} })}\n</tool_call>`;
}

function wrapToolResponse(content: string): string {
  return /^\s*<tool_response>/.test(content) ? content : `<tool_response>\n${content}\n</tool_response>`;
}

export function toWebDancer(trajectory: Trajectory, options: SftExportOptions = {}): WebDancerRecord {
  const messages: WebDancerRecord["messages"] = [];
  for (const message of trajectory.messages) {
    if (message.role === "tool") {
      // Hermes-style templates group consecutive tool results into one user turn.
      const previous = messages[messages.length - 1];
      const block = wrapToolResponse(message.content);
      if (previous?.role === "user" && previous.content.includes("</tool_response>")) previous.content += `\n${block}`;
      else messages.push({ role: "user", content: block });
      continue;
    }
    if (message.role === "assistant") {
      let content = assistantContent(message, options);
      const calls = message.toolCalls ?? [];
      if (calls.length > 0 && !content.includes("<tool_call>")) {
        content = [content.trimEnd(), ...calls.map(renderToolCall)].filter(Boolean).join("\n");
      }
      messages.push({ role: "assistant", content });
      continue;
    }
    messages.push({ role: message.role, content: message.content });
  }
  const tag = trajectory.metadata.tag;
  return {
    type: "chatml",
    task: "agent/multiturn_search",
    messages,
    functions: functionsUsed(trajectory),
    tool_calls: [],
    answer: [trajectory.goldAnswers],
    tag: typeof tag === "string" ? tag : ((trajectory.metadata.source as string | undefined) ?? "drkit"),
  };
}
