/**
 * The registry of CLI commands: one import and one call per command file.
 * Keep this list sorted; each area adds its own line.
 */
import type { Command } from "commander";
import { registerAskCommand } from "./ask.js";
import { registerCollectCommand } from "./collect.js";
import { registerCorpusCommand } from "./corpus.js";
import { registerDataCommand } from "./data.js";
import { registerDemoCommand } from "./demo.js";
import { registerEvalCommand } from "./eval.js";
import { registerRlCommand } from "./rl.js";
import { registerScoreCommand } from "./score.js";
import { registerServeCommand } from "./serve.js";
import { registerSynthCommand } from "./synth.js";
import { registerTrainCommands } from "./train.js";
import { registerViewCommand } from "./view.js";

export function registerCommands(program: Command): void {
  registerAskCommand(program);
  registerCollectCommand(program);
  registerCorpusCommand(program);
  registerDataCommand(program);
  registerDemoCommand(program);
  registerEvalCommand(program);
  registerRlCommand(program);
  registerScoreCommand(program);
  registerServeCommand(program);
  registerSynthCommand(program);
  registerTrainCommands(program);
  registerViewCommand(program);
}
