/** `drkit serve reward`: OpenRLHF `POST /get_reward` and verl `POST /compute_score` over a named reward. */
import type { Command } from "commander";
import { InputError } from "../core/errors.js";
import { EXTRACTION_STYLES, type ExtractionStyle } from "../reward/extract.js";
import { REWARD_NAMES } from "../reward/rewards.js";
import { checkServableReward, DEFAULT_SERVER_REWARD, startRewardServer } from "../serve/reward-server.js";
import { addRequestGuardOptions, integerOption, numberOption, requestGuardFrom } from "./context.js";

interface ServeRewardOptions {
  reward?: string;
  extraction?: string;
  correctScore?: number;
  formatScore?: number;
  stripPrompt: boolean;
  host: string;
  port: number;
  maxItems: number;
  maxBodyMb: number;
  log?: boolean;
  allowHost?: string[];
  allowOrigin?: string[];
}

/** Add `reward` under the `serve` command group. */
export function registerServeRewardCommand(serve: Command): void {
  const reward = serve
    .command("reward")
    .description("POST /get_reward (OpenRLHF remote reward) and POST /compute_score (verl) over a named reward")
    .option(
      "--reward <name>",
      `reward: ${REWARD_NAMES.filter((name) => name !== "webdancer" && name !== "judge").join(", ")} ` +
        `(default: ${DEFAULT_SERVER_REWARD} for /get_reward; /compute_score routes by data_source)`,
    )
    .option("--extraction <style>", `answer extraction: ${EXTRACTION_STYLES.join(", ")} (default: the reward's own)`)
    .option(
      "--correct-score <x>",
      "reward for a correct answer (Search-R1 score / correct_score)",
      numberOption("correct-score"),
    )
    .option("--format-score <x>", "search-r1-em reward for a wrong extracted answer", numberOption("format-score"))
    .option("--no-strip-prompt", "score each /get_reward query whole instead of cutting its prompt from the front")
    .option("--host <host>", "interface to bind (0.0.0.0 to accept other machines)", "127.0.0.1")
    .option("--port <port>", "port", integerOption("port"), 8001)
    .option("--max-items <n>", "most queries / items per request", integerOption("max-items"), 65_536)
    .option(
      "--max-body-mb <mb>",
      "largest request body in MiB (OpenRLHF sends a micro-batch of decoded rollouts: 32 × 16K tokens ≈ 2 MiB)",
      integerOption("max-body-mb"),
      16,
    )
    .option("--log", "log one line per request to stderr");
  addRequestGuardOptions(reward).action(async (options: ServeRewardOptions) => {
    if (options.reward !== undefined) checkServableReward(options.reward);
    if (options.extraction !== undefined && !EXTRACTION_STYLES.includes(options.extraction as ExtractionStyle))
      throw new InputError(`--extraction must be one of ${EXTRACTION_STYLES.join(", ")}`);
    if (options.port < 0 || options.port > 65535) throw new InputError("--port must be between 0 and 65535");
    if (options.maxItems < 1 || options.maxBodyMb < 1)
      throw new InputError("--max-items and --max-body-mb must be at least 1");
    let server: Awaited<ReturnType<typeof startRewardServer>>;
    try {
      server = await startRewardServer({
        host: options.host,
        port: options.port,
        ...(options.reward !== undefined ? { reward: options.reward } : {}),
        rewardOptions: {
          ...(options.extraction !== undefined ? { extraction: options.extraction as ExtractionStyle } : {}),
          ...(options.correctScore !== undefined ? { correctScore: options.correctScore } : {}),
          ...(options.formatScore !== undefined ? { formatScore: options.formatScore } : {}),
        },
        stripPrompt: options.stripPrompt,
        maxItems: options.maxItems,
        maxBodyBytes: options.maxBodyMb * 1024 * 1024,
        guard: requestGuardFrom(options),
        ...(options.log
          ? {
              onRequest: (entry) =>
                process.stderr.write(
                  `${new Date().toISOString()} ${entry.method} ${entry.path} ${entry.status} items=${entry.items} ${entry.ms.toFixed(1)}ms\n`,
                ),
            }
          : {}),
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EADDRINUSE") throw new InputError(`port ${options.port} is in use: pass another --port`);
      throw error;
    }
    process.stderr.write(
      `reward server at ${server.url}: POST /get_reward (${options.reward ?? DEFAULT_SERVER_REWARD}), ` +
        `POST /compute_score (${options.reward ?? "routed by data_source"}), GET /health; Ctrl-C stops\n`,
    );
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.removeListener("SIGINT", stop);
        process.removeListener("SIGTERM", stop);
        process.stderr.write("shutting down\n");
        void server.close().then(resolve);
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
  });
}
