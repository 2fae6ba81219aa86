/**
 * Child process for bench/agent-throughput.ts and bench/token-path.ts: the scripted OpenAI-compatible TEST FIXTURE
 * server answering instantly (after an optional delay): a react tool call for the first turns, then an answer.
 * It is not a model. On `/v1/completions` (token path) it answers with the real Qwen3 token ids of the same
 * texts (BENCH_TOKENIZER: the tokenizer directory). Prints its base URL on stdout, then runs until killed.
 */
import { JinjaChatTemplate } from "../src/llm/tokenizer/jinja-chat-template.js";
import { startScriptedOpenAIServer } from "../test/fixtures/scripted-openai-server.js";

const toolTurns = Number(process.env.BENCH_TOOL_TURNS ?? 3);
const delayMs = Number(process.env.BENCH_DELAY_MS ?? 0);
const template = process.env.BENCH_TOKENIZER ? JinjaChatTemplate.load(process.env.BENCH_TOKENIZER) : undefined;
const texts = Array.from({ length: toolTurns + 1 }, (_, turn) =>
  turn < toolTurns
    ? `<think>step ${turn}</think>\n<tool_call>{"name": "lookup", "arguments": {"query": ["q${turn}"]}}</tool_call>`
    : "<think>done</think>\n<answer>42</answer>",
);
const eos = template?.stopTokenIds[0];
const ids = template ? texts.map((text) => [...template.encode(text), eos as number]) : [];
const assistantHeader = template ? template.encode("<|im_start|>assistant") : [];

/** Assistant turns already in a token prompt: generation headers before the final one. */
function turnsIn(prompt: number[]): number {
  const [first, second] = assistantHeader;
  let count = 0;
  for (let i = 0; i + 1 < prompt.length; i++) if (prompt[i] === first && prompt[i + 1] === second) count += 1;
  return count - 1;
}

const server = await startScriptedOpenAIServer({
  recordRequests: false,
  fallback: (request) => {
    const prompt = request.body.prompt as number[] | undefined;
    const turn = Array.isArray(prompt)
      ? turnsIn(prompt)
      : (request.body.messages as { role: string }[]).filter((m) => m.role === "assistant").length;
    const index = Math.min(turn, toolTurns);
    const tokens = Array.isArray(prompt) ? { tokenIds: ids[index], logprobs: ids[index]?.map(() => -0.1) } : {};
    return {
      content: texts[index],
      ...tokens,
      usage: { prompt_tokens: 100, completion_tokens: 20 },
      ...(delayMs ? { delayMs } : {}),
    };
  },
});
process.stdout.write(`${server.baseUrl}\n`);
process.on("SIGTERM", () => {
  void server.close().then(() => process.exit(0));
});
