/** `drkit rl compute`: run any advantage estimator and policy loss on a batch given as JSON (verl names). */
import { existsSync, readFileSync } from "node:fs";
import type { Command } from "commander";
import { InputError, NotFoundError } from "../core/errors.js";
import { type ComputeResult, describeRegistries, runComputeRequest } from "../rl/compute-request.js";
import { printJson } from "./context.js";

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
}
