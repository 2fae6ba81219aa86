import { describe, expect, it } from "vitest";
import { Random } from "../../core/random.js";
import { responseText } from "../../reward/format.js";
import { createReward, rewardTrajectory } from "../../reward/rewards.js";
import { InProcessBackend } from "../policy/in-process-backend.js";
import { InProcessPolicy } from "../policy/in-process-policy.js";
import { WordTokenizer } from "../policy/tokenizer.js";
import { loadLookupTask } from "../tasks/lookup-task.js";
import { lookupDemonstrations, lookupTrainingTask } from "../tasks/lookup-training-task.js";
import { agentRollouts } from "./agent-rollouts.js";
import { DEFAULT_RL_OPTIONS, stepSeed, trainOnTrajectories } from "./rl-trainer.js";
import { demonstrationTrajectories, sftStep } from "./sft.js";
import { buildTokenBatch } from "./token-batch.js";

const lookup = loadLookupTask({ corpusPath: "data/hotpotqa/corpus.jsonl", entities: 8, maxTitleWords: 1, seed: 7 });
const task = lookupTrainingTask(lookup);
const tokenizer = WordTokenizer.fit(lookup.texts());
const config = { vocabSize: tokenizer.size, dModel: 32, layers: 1, heads: 2, ffn: 64, maxLength: 48 };

async function makePolicy(seed: number, maxLength = config.maxLength) {
  const policy = await InProcessPolicy.create({
    config: { ...config, maxLength },
    tokenizer,
    seed,
    microBatch: 8,
    optimizer: { learningRate: 3e-3 },
  });
  return new InProcessBackend(policy);
}

async function rolloutStep(backend: InProcessBackend, step: number) {
  const questions = new Random(stepSeed(0, step, 1)).sample(task.train, 2);
  return agentRollouts(await backend.tokenPath(), task, questions, {
    protocol: "search-r1",
    groupSize: 3,
    maxTurns: 3,
    maxTokensPerTurn: 6,
    temperature: 1,
    seed: stepSeed(0, step, 2),
    step,
  });
}

const demonstrations = (backend: InProcessBackend) =>
  demonstrationTrajectories(backend, task, lookupDemonstrations(lookup), "search-r1");

describe("token-space rollouts", () => {
  it("keeps sampled ids and logprobs, tokenises observations alone, groups samples by uid", async () => {
    const policy = await makePolicy(1);
    // A little SFT so that the policy searches.
    const demos = await demonstrations(policy);
    for (let i = 0; i < 10; i++) await sftStep(policy, demos.slice(0, 8));
    const trajectories = await rolloutStep(policy, 1);
    expect(trajectories).toHaveLength(6);
    const uids = trajectories.map((t) => t.metadata.uid);
    expect(new Set(uids).size).toBe(2);
    expect(trajectories.map((t) => t.sample)).toEqual([0, 1, 2, 0, 1, 2]);
    let observations = 0;
    for (const trajectory of trajectories) {
      const spans = trajectory.tokens?.spans ?? [];
      for (const span of spans) {
        if (span.source === "model") {
          expect(span.logprobs).toHaveLength(span.ids.length);
          expect(trajectory.turns[span.turn]?.tokenIds).toEqual(span.ids);
        } else {
          observations += 1;
          expect(span.ids).toEqual(tokenizer.encode(trajectory.turns[span.turn]?.observation ?? ""));
        }
      }
    }
    expect(observations).toBeGreaterThan(0);
    const batch = buildTokenBatch(trajectories);
    for (let row = 0; row < batch.rows; row++) {
      const rewards = Array.from(batch.tokenLevelRewards.subarray(row * batch.columns, (row + 1) * batch.columns));
      const mask = Array.from(batch.responseMask.subarray(row * batch.columns, (row + 1) * batch.columns));
      const lastModel = mask.lastIndexOf(1);
      rewards.forEach((value, t) => {
        if (t !== lastModel) expect(value).toBe(0);
      });
      expect(rewards[lastModel]).toBe(trajectories[row]?.reward?.score);
    }
  }, 60_000);

  it("is reproducible for a seed (same rollouts, metrics and weights)", async () => {
    const run = async () => {
      const policy = await makePolicy(4);
      const metrics = [];
      for (let step = 1; step <= 2; step++) {
        const trajectories = await rolloutStep(policy, step);
        metrics.push(await trainOnTrajectories(policy, trajectories, { ...DEFAULT_RL_OPTIONS, algorithm: "grpo" }));
      }
      return { metrics, weights: Array.from(policy.policy.parameters()[3]?.data ?? []) };
    };
    const first = await run();
    const second = await run();
    expect(second.metrics).toEqual(first.metrics);
    expect(second.weights).toEqual(first.weights);
  }, 60_000);

  it("a GRPO step raises the log-likelihood of rewarded samples relative to the rest of their group", async () => {
    const policy = await makePolicy(5);
    const demos = await demonstrations(policy);
    for (let i = 0; i < 5; i++) await sftStep(policy, demos.slice(0, 8));
    const trajectories = await rolloutStep(policy, 3);
    // Reward the first sample of each group only: GRPO advantages are then (+2, −1, −1)·c per group.
    for (const trajectory of trajectories) {
      const score = trajectory.sample === 0 ? 1 : 0;
      trajectory.reward = { score, components: { em: score }, name: "em" };
    }
    const batch = buildTokenBatch(trajectories);
    const modelLogLikelihood = async () =>
      (await policy.score(batch.sequences)).map((scores, row) => {
        let sum = 0;
        for (let t = 0; t < (batch.responseLengths[row] as number); t++) {
          const k = row * batch.columns + t;
          if (batch.responseMask[k] === 1) sum += scores.logprobs[(batch.promptLengths[row] as number) + t] as number;
        }
        return sum;
      });
    const before = await modelLogLikelihood();
    await trainOnTrajectories(policy, trajectories, { ...DEFAULT_RL_OPTIONS, algorithm: "grpo", learningRate: 1e-3 });
    const after = await modelLogLikelihood();
    const change = after.map((value, row) => value - (before[row] as number));
    let surrogate = 0;
    change.forEach((delta, row) => {
      surrogate += (trajectories[row]?.sample === 0 ? 2 : -1) * delta;
    });
    expect(surrogate).toBeGreaterThan(0);
    // The rewarded samples gain likelihood on average, the others lose it.
    const rewarded = change.filter((_, row) => trajectories[row]?.sample === 0);
    const others = change.filter((_, row) => trajectories[row]?.sample !== 0);
    expect(rewarded.reduce((a, b) => a + b, 0) / rewarded.length).toBeGreaterThan(
      others.reduce((a, b) => a + b, 0) / others.length,
    );
    // Each rollout records the advantage it was trained with (saved with --save-rollouts for the workbench):
    // groups of 3 with rewards (1, 0, 0) give (1 − 1/3)/std and (0 − 1/3)/std, std = 0.57735 (unbiased).
    const advantages = trajectories.map((trajectory) => trajectory.metadata.advantage as number);
    expect(advantages[0]).toBeCloseTo(0.6667 / 0.57735, 3);
    expect(advantages[1]).toBeCloseTo(-0.3333 / 0.57735, 3);
  }, 60_000);

  it("resetOptimizer starts Adam afresh: the first update moves every trained weight by the learning rate", async () => {
    const policy = await makePolicy(6);
    const demos = await demonstrations(policy);
    for (let i = 0; i < 3; i++) await sftStep(policy, demos.slice(i * 4, i * 4 + 4));
    const largestMove = async () => {
      const before = policy.policy.parameters().map((t) => Float32Array.from(t.data));
      await sftStep(policy, demos.slice(20, 28));
      let largest = 0;
      policy.policy.parameters().forEach((tensor, index) => {
        const previous = before[index] as Float32Array;
        for (let i = 0; i < tensor.data.length; i++) {
          largest = Math.max(largest, Math.abs((tensor.data[i] as number) - (previous[i] as number)));
        }
      });
      return largest;
    };
    // With history, Adam's step is m̂/√v̂ per weight: not the learning rate in general.
    const withHistory = await largestMove();
    expect(Math.abs(withHistory - 3e-3)).toBeGreaterThan(1e-5);
    policy.resetOptimizer();
    expect(policy.policy.steps).toBe(0);
    // Fresh Adam: m̂/√v̂ = g/|g| = ±1 for every weight with a gradient, so the largest move is the rate.
    expect(await largestMove()).toBeCloseTo(3e-3, 6);
  }, 60_000);

  it("DAPO drops groups whose rewards are all equal and trains on the rest", async () => {
    const policy = await makePolicy(7);
    const trajectories = await rolloutStep(policy, 5);
    const uids = [...new Set(trajectories.map((t) => String(t.metadata.uid)))];
    // First group: rewards 1, 0, 0 (kept); second group: all 0 (dropped).
    for (const trajectory of trajectories) {
      const score = trajectory.metadata.uid === uids[0] && trajectory.sample === 0 ? 1 : 0;
      trajectory.reward = { score, components: { em: score }, name: "em" };
    }
    const dapo = await trainOnTrajectories(policy, trajectories, { ...DEFAULT_RL_OPTIONS, algorithm: "dapo" });
    expect(dapo.groups_kept).toBe(1);
    expect(dapo.grad_norm).toBeGreaterThan(0);
    for (const trajectory of trajectories) trajectory.reward = { score: 0, components: { em: 0 }, name: "em" };
    const none = await trainOnTrajectories(policy, trajectories, { ...DEFAULT_RL_OPTIONS, algorithm: "dapo" });
    expect(none.groups_kept).toBe(0);
    expect(none.grad_norm).toBe(0);
  }, 60_000);

  it("scores rollouts with a named training reward (DeepResearch-R1: 1.2 / 0.3 / 0.2 / 0)", async () => {
    const policy = await makePolicy(8);
    const demos = await demonstrations(policy);
    for (let i = 0; i < 30; i++) await sftStep(policy, demos.slice((i % 4) * 8, (i % 4) * 8 + 8));
    const trajectories = await rolloutStep(policy, 2);
    const reward = createReward("deepresearch-r1");
    let answered = 0;
    for (const trajectory of trajectories) {
      const scored = await rewardTrajectory(trajectory, reward);
      const em = trajectory.reward?.score ?? 0;
      // DeepResearch-R1 looks for the literal tags anywhere in the response, observations included (the
      // invalid-action observation quotes them).
      const text = responseText(trajectory);
      const tagged = text.includes("<answer>") && text.includes("</answer>");
      const goldSeen = trajectory.turns.some((turn) =>
        (turn.observation ?? "").split(" ").includes(trajectory.goldAnswers[0] as string),
      );
      const expected = !tagged ? 0 : em === 1 ? 1.2 : goldSeen ? 0.3 : 0.2;
      expect(scored.reward?.score).toBeCloseTo(expected, 10);
      if (trajectory.prediction !== null) answered += 1;
    }
    expect(answered).toBeGreaterThan(0);
  }, 60_000);

  it("react through the agent loop: teacher demonstrations parse as tool calls, the tool sees the question id", async () => {
    const backend = await makePolicy(9, 64);
    const demos = await demonstrationTrajectories(
      backend,
      task,
      lookupDemonstrations(lookup, { protocol: "react" }),
      "react",
    );
    expect(demos).toHaveLength(task.train.length);
    const first = demos[0];
    const question = lookup.train[0];
    expect(first?.turns[0]?.toolCalls[0]).toMatchObject({ name: "search", arguments: { query: question?.query } });
    // The observation is this question's own field values, wrapped by the react protocol.
    expect(first?.turns[0]?.observation).toBe(
      `<tool_response>\n${lookup.observation(question?.query ?? "", question?.id).replace(/^<information> | <\/information>$/g, "")}\n</tool_response>`,
    );
    expect(first?.prediction).toBe(question?.answer);
    // Model spans end with <eos> (react turns end at the end-of-turn id), observations are masked spans.
    const eos = tokenizer.id("<eos>");
    for (const span of first?.tokens?.spans ?? []) if (span.source === "model") expect(span.ids.at(-1)).toBe(eos);
    const path = await backend.tokenPath();
    const rollouts = await agentRollouts(path, task, task.train.slice(0, 2), {
      protocol: "react",
      groupSize: 3,
      maxTurns: 2,
      maxTokensPerTurn: 24,
      temperature: 1,
      seed: 3,
    });
    expect(rollouts).toHaveLength(6);
    const turns = Math.max(...rollouts.map((t) => t.turns.length));
    // Concurrent episodes share one sampler batch per turn.
    expect((path.sampler as unknown as { batches: number }).batches).toBe(turns);
  }, 60_000);
});
