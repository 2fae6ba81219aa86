/**
 * Profiling helper for bench/agent-throughput.ts: runs only the agent (or only the bare loop) at one concurrency
 * against the instant fixture server, for `node --cpu-prof --import tsx bench/agent-profile.ts [agent|bare] [n] [c]`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { Agent } from "undici";
import { z } from "zod";
import { reactProtocol } from "../src/agent/protocols/react.js";
import { runAgent } from "../src/agent/run-agent.js";
import { OpenAICompatibleChatModel } from "../src/llm/openai-compatible.js";
import { type Tool, toolDefinition } from "../src/tools/tool.js";

const mode = process.argv[2] ?? "agent";
const trajectories = Number(process.argv[3] ?? 1000);
const concurrency = Number(process.argv[4] ?? 64);
const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "bench/agent-fixture-server.ts"], {
  env: { ...process.env, BENCH_TOOL_TURNS: "3", BENCH_DELAY_MS: "0" },
  stdio: ["ignore", "pipe", "inherit"],
});
const [chunk] = (await once(child.stdout!, "data")) as [Buffer];
const baseUrl = chunk.toString("utf8").trim();
const lookup: Tool<{ query: string[] }> = {
  name: "lookup",
  description: "instant lookup",
  inputSchema: z.object({ query: z.array(z.string()) }),
  execute: async () => ({ content: "obs", sources: ["id"] }),
};
const model = new OpenAICompatibleChatModel({ baseUrl, model: "bench", concurrency, maxRetries: 0 });
const url = new URL(`${baseUrl}/chat/completions`);
const dispatcher = new Agent({ connections: Math.max(16, concurrency * 2) });
async function bare(): Promise<void> {
  const messages: { role: string; content: string }[] = reactProtocol
    .initialMessages({
      question: "What is the answer?",
      tools: [lookup as Tool],
      toolDefinitions: [toolDefinition(lookup as Tool)],
      currentDate: new Date().toISOString().slice(0, 10),
    })
    .map(({ role, content }) => ({ role, content }));
  for (let step = 0; step < 4; step++) {
    const reply = await dispatcher.request({
      origin: url.origin,
      path: url.pathname,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "bench", messages, stop: ["\n<tool_response>", "<tool_response>"] }),
    });
    const json = JSON.parse(await reply.body.text()) as { choices: { message: { content: string } }[] };
    const content = json.choices[0]?.message.content ?? "";
    messages.push({ role: "assistant", content });
    if (content.includes("<answer>")) break;
    messages.push({ role: "user", content: "<tool_response>\nobs\n</tool_response>" });
  }
}
let next = 0;
const cpu = process.cpuUsage();
const start = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < trajectories) {
      next += 1;
      if (mode === "agent")
        await runAgent({ question: "What is the answer?", protocol: "react", model, tools: [lookup as Tool] });
      else await bare();
    }
  }),
);
const used = process.cpuUsage(cpu);
console.log(
  `${mode}: ${((trajectories * 4) / ((performance.now() - start) / 1000)).toFixed(0)} steps/s, ${((used.user + used.system) / (trajectories * 4)).toFixed(0)} µs CPU/step`,
);
await model.close();
await dispatcher.close();
child.kill("SIGTERM");
