/**
 * Agent loop overhead: agent steps (model calls) per second at 1, 64 and 256 concurrent trajectories against an
 * instant scripted fixture server (a child process; not a model), as a ratio to a bare loop making the same HTTP
 * calls (same growing message bodies, JSON parse, no protocol/tools/records) with the same HTTP client (undici
 * request; target ratio ≥ 0.9), and for reference with Node's global fetch. Also client CPU per step.
 * Also heap memory per live trajectory (256 trajectories held open by a 200 ms server delay).
 * Fairness: before timing, one trajectory of each side is sent through a recording dispatcher and the request
 * bodies are compared byte for byte (the run stops if they differ); both sides are warmed up at every
 * concurrency, and the order of the sides alternates from round to round.
 * Run: npx tsx bench/agent-throughput.ts (node --expose-gc --import tsx bench/agent-throughput.ts for memory)
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { loadavg } from "node:os";
import { Agent, type Dispatcher } from "undici";
import { z } from "zod";
import { reactProtocol } from "../src/agent/protocols/react.js";
import { runAgent } from "../src/agent/run-agent.js";
import { OpenAICompatibleChatModel } from "../src/llm/openai-compatible.js";
import { type Tool, toolDefinition } from "../src/tools/tool.js";

const TOOL_TURNS = 3;
const STEPS_PER_TRAJECTORY = TOOL_TURNS + 1;
const TARGET = 0.9;
const OBSERVATION = "A Google search for 'q' found 1 results:\n\n## Web Results\n1. [T](id)\n\nsnippet text";

async function startServer(delayMs: number): Promise<{ baseUrl: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/agent-fixture-server.ts"], {
    env: { ...process.env, BENCH_TOOL_TURNS: String(TOOL_TURNS), BENCH_DELAY_MS: String(delayMs) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const [chunk] = (await once(child.stdout!, "data")) as [Buffer];
  return { baseUrl: chunk.toString("utf8").trim(), child };
}

const lookup: Tool<{ query: string[] }> = {
  name: "lookup",
  description: "instant lookup",
  inputSchema: z.object({ query: z.array(z.string()) }),
  execute: async () => ({ content: OBSERVATION, sources: ["id"] }),
};

async function pool(total: number, concurrency: number, work: () => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, total) }, async () => {
      while (next < total) {
        next += 1;
        await work();
      }
    }),
  );
}

/** Client-process CPU per step of the last run (µs); the fixture server's CPU is in its own process. */
let lastCpuPerStep = 0;

async function agentRun(
  baseUrl: string,
  trajectories: number,
  concurrency: number,
  dispatcher?: Dispatcher,
): Promise<number> {
  const cpu = process.cpuUsage();
  const model = new OpenAICompatibleChatModel({
    baseUrl,
    model: "bench",
    concurrency,
    maxRetries: 0,
    ...(dispatcher ? { dispatcher } : {}),
  });
  const start = performance.now();
  let elapsed = 0;
  await pool(trajectories, concurrency, async () => {
    const trajectory = await runAgent({
      question: "What is the answer?",
      protocol: "react",
      model,
      tools: [lookup as Tool],
    });
    if (trajectory.termination !== "answer") throw new Error(`unexpected termination ${trajectory.termination}`);
  });
  elapsed = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  lastCpuPerStep = (used.user + used.system) / (trajectories * STEPS_PER_TRAJECTORY);
  await model.close();
  return (trajectories * STEPS_PER_TRAJECTORY) / elapsed;
}

/**
 * The bare loop: the same HTTP calls (same growing message bodies, JSON parse of each reply) with no protocol,
 * tools or records. `client` picks the HTTP client: undici's request API (what the agent's model client uses;
 * the strict anchor) or Node's global fetch (what a hand-written loop would typically use).
 */
async function bareRun(
  baseUrl: string,
  trajectories: number,
  concurrency: number,
  client: "undici" | "fetch",
  recording?: Dispatcher,
): Promise<number> {
  const cpu = process.cpuUsage();
  const url = new URL(`${baseUrl}/chat/completions`);
  const dispatcher = recording ?? new Agent({ connections: Math.max(16, concurrency * 2) });
  const post = async (body: string): Promise<unknown> => {
    if (client === "fetch") {
      const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
      return response.json();
    }
    const reply = await dispatcher.request({
      origin: url.origin,
      path: url.pathname,
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    return JSON.parse(await reply.body.text());
  };
  const start = performance.now();
  await pool(trajectories, concurrency, async () => {
    // The same first messages the agent sends (system prompt with the tool block, then the question).
    const messages: { role: string; content: string }[] = reactProtocol
      .initialMessages({
        question: "What is the answer?",
        tools: [lookup as Tool],
        toolDefinitions: [toolDefinition(lookup as Tool)],
        currentDate: new Date().toISOString().slice(0, 10),
      })
      .map(({ role, content }) => ({ role, content }));
    for (let step = 0; step < STEPS_PER_TRAJECTORY; step++) {
      const json = (await post(
        JSON.stringify({ model: "bench", messages, stop: ["\n<tool_response>", "<tool_response>"] }),
      )) as { choices: { message: { content: string } }[] };
      const content = json.choices[0]?.message.content ?? "";
      messages.push({ role: "assistant", content });
      if (content.includes("<answer>")) break;
      messages.push({ role: "user", content: `<tool_response>\n${OBSERVATION}\n</tool_response>` });
    }
  });
  const elapsed = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  lastCpuPerStep = (used.user + used.system) / (trajectories * STEPS_PER_TRAJECTORY);
  if (!recording) await dispatcher.close();
  return (trajectories * STEPS_PER_TRAJECTORY) / elapsed;
}

/** An undici Agent that keeps the body of every request it sends (for the request-identity check). */
class RecordingAgent extends Agent {
  readonly bodies: string[] = [];
  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    this.bodies.push(String(options.body));
    return super.dispatch(options, handler);
  }
}

/** One trajectory per side through a recording dispatcher: the bodies must be the same bytes. */
async function checkSameRequests(baseUrl: string): Promise<number> {
  const agentSide = new RecordingAgent();
  const bareSide = new RecordingAgent();
  await agentRun(baseUrl, 1, 1, agentSide);
  await bareRun(baseUrl, 1, 1, "undici", bareSide);
  await Promise.all([agentSide.close(), bareSide.close()]);
  const same =
    agentSide.bodies.length === STEPS_PER_TRAJECTORY &&
    agentSide.bodies.length === bareSide.bodies.length &&
    agentSide.bodies.every((body, index) => body === bareSide.bodies[index]);
  if (!same)
    throw new Error(
      `the bare loop does not send the agent's requests:\nagent: ${agentSide.bodies.join("\n")}\nbare:  ${bareSide.bodies.join("\n")}`,
    );
  return agentSide.bodies.length;
}

function load(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(" ");
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

const instant = await startServer(0);
try {
  console.log("agent-throughput: react protocol, 4 model calls per trajectory, instant fixture server (child process)");
  console.log(
    "concurrency  trajectories  agent steps/s  bare(undici) steps/s  ratio  bare(fetch) steps/s  ratio   client CPU/step: agent | bare undici | bare fetch",
  );
  const checked = await checkSameRequests(instant.baseUrl);
  console.log(`request bodies: agent and bare loop sent the same ${checked} bodies, byte for byte`);
  for (const [concurrency, trajectories] of [
    [1, 100],
    [64, 512],
    [256, 1024],
  ] as const) {
    const agent: number[] = [];
    const bareUndici: number[] = [];
    const bareFetch: number[] = [];
    const undiciRatios: number[] = [];
    const fetchRatios: number[] = [];
    const cpu = { agent: [] as number[], undici: [] as number[], fetch: [] as number[] };
    // Warm-up of every side at this concurrency (JIT, connections): one full untimed run each.
    await agentRun(instant.baseUrl, trajectories, concurrency);
    await bareRun(instant.baseUrl, trajectories, concurrency, "undici");
    await bareRun(instant.baseUrl, Math.ceil(trajectories / 2), concurrency, "fetch");
    // Interleaved runs, the order of agent and bare loop alternating; ratios are taken per round, so load from
    // other processes hits both sides alike.
    for (let round = 0; round < 4; round++) {
      let a: number;
      let u: number;
      if (round % 2 === 0) {
        u = await bareRun(instant.baseUrl, trajectories, concurrency, "undici");
        cpu.undici.push(lastCpuPerStep);
        a = await agentRun(instant.baseUrl, trajectories, concurrency);
        cpu.agent.push(lastCpuPerStep);
      } else {
        a = await agentRun(instant.baseUrl, trajectories, concurrency);
        cpu.agent.push(lastCpuPerStep);
        u = await bareRun(instant.baseUrl, trajectories, concurrency, "undici");
        cpu.undici.push(lastCpuPerStep);
      }
      const f = await bareRun(instant.baseUrl, Math.ceil(trajectories / 2), concurrency, "fetch");
      cpu.fetch.push(lastCpuPerStep);
      agent.push(a);
      bareUndici.push(u);
      bareFetch.push(f);
      undiciRatios.push(a / u);
      fetchRatios.push(a / f);
    }
    const ratio = median(undiciRatios);
    console.log(
      `${String(concurrency).padStart(11)}  ${String(trajectories).padStart(12)}  ${median(agent).toFixed(0).padStart(13)}  ${median(bareUndici).toFixed(0).padStart(20)}  ${ratio.toFixed(2).padStart(5)}  ${median(bareFetch).toFixed(0).padStart(19)}  ${median(fetchRatios).toFixed(2).padStart(5)}   ${median(cpu.agent).toFixed(0)} | ${median(cpu.undici).toFixed(0)} | ${median(cpu.fetch).toFixed(0)} µs   ${ratio >= TARGET ? "ok" : "below target"} (target ≥ ${TARGET} vs the same client; ratios of 4 rounds ${undiciRatios.map((value) => value.toFixed(2)).join(" ")}; load ${load()})`,
    );
  }
} finally {
  instant.child.kill("SIGTERM");
}

// Memory per live trajectory: 256 trajectories in flight (each reply delayed 200 ms).
const slow = await startServer(200);
try {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const baseline = process.memoryUsage().heapUsed;
  let peak = baseline;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 20);
  await agentRun(slow.baseUrl, 256, 256);
  clearInterval(timer);
  console.log(
    `memory: ~${((peak - baseline) / 256 / 1024).toFixed(1)} KiB heap per live trajectory (256 live, peak heap growth ${((peak - baseline) / 1024 / 1024).toFixed(1)} MiB${gc ? "" : "; run with node --expose-gc for a cleaner baseline"}; load ${load()})`,
  );
} finally {
  slow.child.kill("SIGTERM");
}
