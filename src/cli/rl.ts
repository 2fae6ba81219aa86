/** `drkit rl compute`: run any advantage estimator and policy loss on a batch given as JSON (verl names). */
import { existsSync, readFileSync } from "node:fs";
import type { Command } from "commander";
import { readTrajectoryFile, writeFileAtomic } from "../collect/trajectory-file.js";
import { InputError, NotFoundError } from "../core/errors.js";
import {
  batchToComputeRequest,
  type ComputeResult,
  describeRegistries,
  runComputeRequest,
} from "../rl/compute-request.js";
import { buildRolloutBatch, groupSizes } from "../rl/rollout-batch.js";
import { integerOption, printJson } from "./context.js";

async function readInput(source: string): Promise<{ text: string; name: string }> {
  if (source === "-") {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return { text: Buffer.concat(chunks).toString("utf8"), name: "stdin" };
  }
  if (!existsSync(source))
    throw new NotFoundError(`input file ${source} does not exist; give a JSON batch file or - for stdin`);
  return { text: readFileSync(source, "utf8"), name: source };
}

function formatNumber(value: number): string {
  if (value === 0) return "0";
  const magnitude = Math.abs(value);
  return magnitude >= 1e-3 && magnitude < 1e5 ? value.toFixed(4).replace(/\.?0+$/, "") : value.toExponential(3);
}

function formatMatrix(rows: number[][]): string {
  return rows.map((row) => `    [${row.map(formatNumber).join(", ")}]`).join("\n");
}

function printHuman(result: ComputeResult): void {
  const lines: string[] = [];
  lines.push(
    `batch ${result.shape[0]}×${result.shape[1]}  estimator ${result.adv_estimator ?? "(advantages given)"}  loss ${result.loss_mode ?? "(none: no log probs given)"}`,
  );
  if (result.token_level_rewards)
    lines.push(`  token_level_rewards (shaped):\n${formatMatrix(result.token_level_rewards)}`);
  if (result.kl_in_reward) {
    lines.push(
      `  kl in reward: current_kl ${formatNumber(result.kl_in_reward.current_kl)}  coef ${formatNumber(result.kl_in_reward.kl_coef)} → ${formatNumber(result.kl_in_reward.next_kl_coef)}`,
    );
  }
  lines.push(`  advantages:\n${formatMatrix(result.advantages)}`);
  if (result.returns) lines.push(`  returns:\n${formatMatrix(result.returns)}`);
  const scalars: Array<[string, number | undefined]> = [
    ["pg_loss", result.pg_loss],
    ["pg_clipfrac", result.pg_clipfrac],
    ["ppo_kl", result.ppo_kl],
    ["pg_clipfrac_lower", result.pg_clipfrac_lower],
    ["kl_loss", result.kl_loss],
    ["entropy_loss", result.entropy_loss],
    ["actor_loss", result.actor_loss],
    ["vf_loss", result.vf_loss],
    ["vf_clipfrac", result.vf_clipfrac],
  ];
  const present = scalars.filter(([, value]) => value !== undefined);
  if (present.length > 0)
    lines.push(`  ${present.map(([name, value]) => `${name} ${formatNumber(value as number)}`).join("  ")}`);
  if (result.grad_log_prob)
    lines.push(`  grad_log_prob (d pg_loss / d log_prob):\n${formatMatrix(result.grad_log_prob)}`);
  if (result.grad_log_prob_total && (result.kl_loss !== undefined || result.entropy_loss !== undefined)) {
    lines.push(`  grad_log_prob_total (d actor_loss / d log_prob):\n${formatMatrix(result.grad_log_prob_total)}`);
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}

export function registerRlCommand(program: Command): void {
  const rl = program.command("rl").description("RL math: advantage estimators and policy losses (verl names)");
  rl.command("compute")
    .description(
      `Compute advantages, returns, loss, metrics and d(loss)/d(log_prob) for a batch given as JSON (${describeRegistries()})`,
    )
    .requiredOption("--input <file>", "JSON batch file, or - for stdin (see docs/rl-algorithms.md)")
    .option("--json", "print the full result as JSON")
    .action(async (options: { input: string; json?: boolean }) => {
      const { text, name } = await readInput(options.input);
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        throw new InputError(`${name} is not valid JSON: ${(error as Error).message}`);
      }
      const result = runComputeRequest(value);
      if (options.json) printJson(result);
      else printHuman(result);
    });

  rl.command("batch")
    .description(
      "Build a padded training batch from token-space trajectories (exact sampled ids, reward on the last model token) as `rl compute` input",
    )
    .requiredOption("--in <file>", "trajectory JSONL whose records carry a `tokens` view and a reward")
    .requiredOption("--out <file>", "JSON batch for `drkit rl compute --input`")
    .option("--adv-estimator <name>", "adv_estimator written into the batch", "grpo")
    .option("--loss-mode <name>", "loss_mode written into the batch", "vanilla")
    .option("--max-response-length <n>", "pad responses to n tokens", integerOption("max-response-length"))
    .option("--truncate", "cut responses longer than --max-response-length instead of failing")
    .option("--pad-token-id <id>", "padding id", integerOption("pad-token-id"), 0)
    .action(
      async (flags: {
        in: string;
        out: string;
        advEstimator: string;
        lossMode: string;
        maxResponseLength?: number;
        truncate?: boolean;
        padTokenId: number;
      }) => {
        const trajectories = await readTrajectoryFile(flags.in);
        if (trajectories.length === 0) throw new InputError(`${flags.in} holds no trajectories`);
        const batch = buildRolloutBatch(trajectories, {
          padTokenId: flags.padTokenId,
          maxResponseLength: flags.maxResponseLength,
          overflow: flags.truncate ? "truncate" : "error",
        });
        const request = batchToComputeRequest(batch, { advEstimator: flags.advEstimator, lossMode: flags.lossMode });
        writeFileAtomic(flags.out, `${JSON.stringify(request)}\n`);
        const sizes = [...groupSizes(batch.index).values()];
        const modelTokens = batch.responseLengths.reduce((a, b) => a + b, 0);
        process.stdout.write(
          `wrote a ${batch.rows}×${batch.columns} batch (${sizes.length} groups of ${Math.min(...sizes)}–${Math.max(...sizes)}, ` +
            `${modelTokens} model tokens, ${batch.truncated.filter(Boolean).length} truncated) → ${flags.out}\n` +
            (batch.hasSamplerLogProbs.every(Boolean)
              ? ""
              : "note: some rows lack sampler logprobs (old_log_prob is 0 there); recompute them before training\n"),
        );
      },
    );
}
