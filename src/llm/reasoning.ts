/** Reasoning text of thinking models: `<think>` blocks in content, or a separate `reasoning_content` field. */

/**
 * Text protocols parse one string. When the server split the reasoning out (vLLM `--reasoning-parser`,
 * OpenRouter `reasoning`), put it back in front as `<think>\n…\n</think>` (Tongyi's OpenRouter recipe).
 */
export function wrapReasoning(text: string, reasoning: string | undefined): string {
  if (!reasoning || reasoning.trim() === "") return text;
  if (/<think>/.test(text)) return text;
  return `<think>\n${reasoning.trim()}\n</think>\n${text.replace(/^\s+/, "")}`;
}

/**
 * Split the reasoning of a reply: the content of the first `<think>…</think>` (or of a leading `…</think>`
 * whose opening tag was in the prompt, as Qwen3 / DeepSeek-R1 templates do) and the rest.
 */
export function splitThink(text: string): { reasoning: string | undefined; rest: string } {
  const open = text.indexOf("<think>");
  const close = text.indexOf("</think>");
  if (open !== -1 && close > open) {
    return {
      reasoning: text.slice(open + "<think>".length, close).trim(),
      rest: (text.slice(0, open) + text.slice(close + "</think>".length)).trim(),
    };
  }
  if (close !== -1 && (open === -1 || open > close)) {
    return { reasoning: text.slice(0, close).trim(), rest: text.slice(close + "</think>".length).trim() };
  }
  return { reasoning: undefined, rest: text };
}
