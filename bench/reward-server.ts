/**
 * Speed of the reward server, as ratios against anchors measured in the same run:
 * 1. POST /get_reward (deepresearch-r1, batches of 256 decoded prompt + response texts built from real HotpotQA
 *    dev answers) vs the anchor of the same handler called in-process (no HTTP, no JSON): the HTTP overhead;
 * 2. POST /compute_score with {items: [...]} batches vs the anchor of `computeScore` called in-process.
 * Run: npx tsx bench/reward-server.ts
 */
import { readFileSync } from "node:fs";
import { computeScore, createRemoteRewardHandler } from "../src/reward/interop.js";
import { startRewardServer } from "../src/serve/reward-server.js";

interface Row {
  question: string;
  answer: string;
  context: [string, string][];
}
const rows = readFileSync("data/hotpotqa/questions.jsonl", "utf8")
  .split("\n")
  .filter((line) => line.trim() !== "")
  .map((line) => JSON.parse(line) as Row);

const BATCH = 256;
const REQUESTS = 40;
const prompts = rows.map((row) => `<|im_start|>user\nAnswer the question. Question: ${row.question}<|im_end|>\n`);
const queries = rows.map((row, index) => {
  const [title, text] = row.context[index % row.context.length] ?? ["", ""];
  const answer = index % 3 === 0 ? "unknown" : row.answer;
  return `${prompts[index]}<think>search</think><search>${row.question}</search><information>Doc 1(Title: ${title}) ${text}</information><think>so</think><answer>${answer}</answer>`;
});
const batches = Array.from({ length: REQUESTS }, (_, request) => {
  const indices = Array.from({ length: BATCH }, (_, offset) => (request * BATCH + offset) % rows.length);
  return {
    query: indices.map((index) => queries[index] as string),
    prompts: indices.map((index) => prompts[index] as string),
    labels: indices.map((index) => (rows[index] as Row).answer),
  };
});
const items = batches.map((batch) => ({
  items: batch.query.map((query, index) => ({
    data_source: "deep_research_9k",
    solution_str: query.slice((batch.prompts[index] as string).length),
    ground_truth: batch.labels[index],
  })),
}));

async function time(run: () => Promise<number>): Promise<{ ms: number; check: number }> {
  const start = performance.now();
  const check = await run();
  return { ms: performance.now() - start, check };
}

const handler = createRemoteRewardHandler({ reward: "deepresearch-r1" });
const server = await startRewardServer({ port: 0, reward: "deepresearch-r1" });
const post = async (path: string, body: unknown) => {
  const response = await fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (response.status !== 200) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as { rewards?: number[]; results?: { score: number }[] };
};

// Warm up both paths.
for (const batch of batches.slice(0, 3)) {
  await handler(batch);
  await post("/get_reward", batch);
}

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
const inProcess = await time(async () => {
  let total = 0;
  for (const batch of batches) total += sum((await handler(batch)).rewards);
  return total;
});
const overHttp = await time(async () => {
  let total = 0;
  for (const batch of batches) total += sum((await post("/get_reward", batch)).rewards ?? []);
  return total;
});
const scoreInProcess = await time(async () => {
  let total = 0;
  for (const batch of items)
    for (const item of batch.items)
      total += (
        await computeScore(item.data_source, item.solution_str, item.ground_truth, { reward: "deepresearch-r1" })
      ).score;
  return total;
});
const scoreOverHttp = await time(async () => {
  let total = 0;
  for (const batch of items) total += sum(((await post("/compute_score", batch)).results ?? []).map((r) => r.score));
  return total;
});
await server.close();

const scored = BATCH * REQUESTS;
const rate = (ms: number) => `${Math.round(scored / (ms / 1000)).toLocaleString("en-US")} texts/s`;
if (Math.abs(inProcess.check - overHttp.check) > 1e-6 || Math.abs(scoreInProcess.check - scoreOverHttp.check) > 1e-6)
  throw new Error("the server and the in-process anchor disagree");
console.log(
  `deepresearch-r1 over ${scored} texts (${REQUESTS} requests × ${BATCH}), mean reward ${(inProcess.check / scored).toFixed(3)}`,
);
console.log(
  `/get_reward     ${rate(overHttp.ms)}  anchor in-process handler ${rate(inProcess.ms)}  ratio ${(overHttp.ms / inProcess.ms).toFixed(2)}x time`,
);
console.log(
  `/compute_score  ${rate(scoreOverHttp.ms)}  anchor in-process computeScore ${rate(scoreInProcess.ms)}  ratio ${(scoreOverHttp.ms / scoreInProcess.ms).toFixed(2)}x time`,
);
