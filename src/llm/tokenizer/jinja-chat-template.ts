/**
 * A model's own chat template (`chat_template` of tokenizer_config.json, or chat_template.jinja) rendered by
 * `@huggingface/jinja`, over the model's tokenizer: the same text and ids as transformers'
 * `apply_chat_template(messages, tools=…, add_generation_prompt=True)` (golden tests in
 * test/golden/chat-templates).
 */
import { Template } from "@huggingface/jinja";
import { ConfigError } from "../../core/errors.js";
import type { ChatMessage } from "../../core/trajectory.js";
import { functionTools, type ToolDefinition } from "../chat-model.js";
import type { ChatTemplate, ToolCallFormat } from "../chat-template.js";
import { HuggingFaceTokenizer } from "./hugging-face-tokenizer.js";
import { readSnapshot, type SnapshotFiles } from "./snapshot.js";

/** Stands for the sampled turn when the continuation after it is rendered; it never reaches the model. */
const SAMPLED_TURN = "\u2063drkit-sampled-turn\u2063";

export interface RenderOptions {
  tools?: readonly ToolDefinition[];
  addGenerationPrompt?: boolean;
}

/** The message objects chat templates read (OpenAI / transformers shape). */
export function templateMessage(message: ChatMessage): Record<string, unknown> {
  const out: Record<string, unknown> = { role: message.role, content: message.content };
  if (message.reasoning !== undefined) out.reasoning_content = message.reasoning;
  if (message.toolCalls && message.toolCalls.length > 0)
    out.tool_calls = message.toolCalls.map((call) => ({
      id: call.id,
      type: "function",
      function: { name: call.name, arguments: call.arguments ?? {} },
    }));
  if (message.toolCallId !== undefined) out.tool_call_id = message.toolCallId;
  if (message.name !== undefined) out.name = message.name;
  return out;
}

export class JinjaChatTemplate implements ChatTemplate {
  readonly name: string;
  readonly stopTokenIds: readonly number[];
  readonly toolCallFormat: ToolCallFormat;
  private readonly template: Template;

  constructor(
    readonly tokenizer: HuggingFaceTokenizer,
    source: string,
    /** Extra template variables (e.g. `{enable_thinking: false}` for Qwen3). */
    private readonly variables: Record<string, unknown> = {},
  ) {
    this.name = tokenizer.name;
    try {
      this.template = new Template(source);
    } catch (error) {
      throw new ConfigError(`the chat template of ${tokenizer.name} does not parse: ${(error as Error).message}`);
    }
    this.stopTokenIds = tokenizer.eosTokenIds;
    this.toolCallFormat = source.includes("<tool_call>") ? "hermes" : "json";
  }

  static fromFiles(files: SnapshotFiles, variables: Record<string, unknown> = {}): JinjaChatTemplate {
    const tokenizer = new HuggingFaceTokenizer(files);
    const configured = tokenizer.config.chat_template;
    const source =
      files.chatTemplateFile ??
      (typeof configured === "string"
        ? configured
        : Array.isArray(configured)
          ? (configured as { name?: string; template?: string }[]).find((entry) => entry.name === "default")?.template
          : undefined);
    if (!source)
      throw new ConfigError(
        `${files.directory} has no chat template (tokenizer_config.json "chat_template" or chat_template.jinja)`,
      );
    return new JinjaChatTemplate(tokenizer, source, variables);
  }

  /** Load from a snapshot directory or a hub id in the local Hugging Face cache (never downloads). */
  static load(source: string, variables: Record<string, unknown> = {}): JinjaChatTemplate {
    return JinjaChatTemplate.fromFiles(readSnapshot(source), variables);
  }

  /** The template's text for `messages` (transformers' `apply_chat_template(…, tokenize=False)`). */
  render(messages: readonly ChatMessage[], options: RenderOptions = {}): string {
    return this.renderObjects(messages.map(templateMessage), options);
  }

  private renderObjects(messages: Record<string, unknown>[], options: RenderOptions): string {
    const context: Record<string, unknown> = {
      messages,
      add_generation_prompt: options.addGenerationPrompt ?? false,
      bos_token: this.tokenizer.bosToken ?? "",
      eos_token: this.tokenizer.eosToken ?? "",
      ...this.variables,
    };
    if (options.tools && options.tools.length > 0) context.tools = functionTools(options.tools);
    try {
      return this.template.render(context);
    } catch (error) {
      throw new ConfigError(`the chat template of ${this.name} failed to render: ${(error as Error).message}`);
    }
  }

  encode(text: string): number[] {
    return this.tokenizer.encode(text);
  }

  tokenText(id: number): string | undefined {
    return this.tokenizer.idToToken(id);
  }

  decode(ids: readonly number[]): string {
    return this.tokenizer.decode(ids, true);
  }

  promptIds(messages: readonly ChatMessage[], tools?: readonly ToolDefinition[]): number[] {
    return this.encode(this.render(messages, { ...(tools ? { tools } : {}), addGenerationPrompt: true }));
  }

  /**
   * The text after a sampled turn: render [user, assistant(placeholder), …observation] with the generation
   * prompt and keep what follows the placeholder. History is never re-rendered, so the ids of earlier turns
   * stay exactly as sampled even where the template would render them differently (Qwen3's `<think>`
   * stripping). When the sample ended with the turn's closing token (eos), that token's text is not repeated.
   */
  continuationText(
    observation: readonly ChatMessage[],
    sampled: readonly number[],
    tools?: readonly ToolDefinition[],
  ): string {
    const rendered = this.renderObjects(
      [
        { role: "user", content: "?" },
        { role: "assistant", content: SAMPLED_TURN },
        ...observation.map(templateMessage),
      ],
      { ...(tools ? { tools } : {}), addGenerationPrompt: true },
    );
    const at = rendered.lastIndexOf(SAMPLED_TURN);
    if (at === -1)
      throw new ConfigError(`the chat template of ${this.name} drops assistant content; it cannot be continued`);
    let text = rendered.slice(at + SAMPLED_TURN.length);
    const last = sampled[sampled.length - 1];
    if (last !== undefined && this.stopTokenIds.includes(last)) {
      const closing = this.tokenizer.idToToken(last);
      if (closing !== undefined && text.startsWith(closing)) text = text.slice(closing.length);
    }
    return text;
  }

  continuationIds(
    observation: readonly ChatMessage[],
    sampled: readonly number[],
    tools?: readonly ToolDefinition[],
  ): number[] {
    return this.encode(this.continuationText(observation, sampled, tools));
  }
}
