/**
 * Child process for bench/agent-throughput.ts: the scripted OpenAI-compatible TEST FIXTURE server answering
 * instantly (after an optional delay): a react tool call for the first turns, then an answer. It is not a model.
 * Prints its base URL on stdout, then runs until killed.
 */
import { startScriptedOpenAIServer } from "../test/fixtures/scripted-openai-server.js";

const toolTurns = Number(process.env.BENCH_TOOL_TURNS ?? 3);
const delayMs = Number(process.env.BENCH_DELAY_MS ?? 0);
const server = await startScriptedOpenAIServer({
  recordRequests: false,
  fallback: (request) => {
    const assistantTurns = (request.body.messages as { role: string }[]).filter((m) => m.role === "assistant").length;
    const content =
      assistantTurns < toolTurns
        ? `<think>step ${assistantTurns}</think>\n<tool_call>{"name": "lookup", "arguments": {"query": ["q${assistantTurns}"]}}</tool_call>`
        : "<think>done</think>\n<answer>42</answer>";
    return { content, usage: { prompt_tokens: 100, completion_tokens: 20 }, ...(delayMs ? { delayMs } : {}) };
  },
});
process.stdout.write(`${server.baseUrl}\n`);
process.on("SIGTERM", () => {
  void server.close().then(() => process.exit(0));
});
