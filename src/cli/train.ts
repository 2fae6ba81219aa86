/**
 * `drkit train` (RL) and `drkit sft` for the in-process policy, rolling out through the agent loop (any
 * protocol, the task's real tools, any named reward). Both write a run directory (metrics.jsonl, eval.jsonl,
 * checkpoint/) and resume from it when re-run with the same --run-dir.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { REACT_BAD_JSON_FEEDBACK, REACT_NO_ACTION_FEEDBACK } from "../agent/protocols/react.js";
import { SEARCH_R1_INVALID_FEEDBACK } from "../agent/protocols/search-r1.js";
import { PROTOCOL_NAMES, type ProtocolName } from "../agent/types.js";
import type { Config } from "../core/config.js";
import { InputError } from "../core/errors.js";
import { readJsonlRecords } from "../core/jsonl-store.js";
import { openCorpus } from "../corpus/sqlite-corpus.js";
import type { Corpus } from "../corpus/types.js";
import { createJudge, JUDGE_NAMES } from "../eval/judges/judge.js";
import { createChatModel } from "../llm/from-config.js";
import { JinjaChatTemplate } from "../llm/tokenizer/jinja-chat-template.js";
import { createReward, type RewardFunction } from "../reward/rewards.js";
import { InProcessBackend } from "../rl/policy/in-process-backend.js";
import { InProcessPolicy, POLICY_PRESETS } from "../rl/policy/in-process-policy.js";
import { WordTokenizer } from "../rl/policy/tokenizer.js";
import { readQuestions, searchTrainingTask } from "../rl/tasks/corpus-task.js";
import { loadLookupTask, REACT_CALL_WORDS } from "../rl/tasks/lookup-task.js";
import {
  LOOKUP_TEACHERS,
  type LookupTeacher,
  lookupDemonstrations,
  lookupTrainingTask,
} from "../rl/tasks/lookup-training-task.js";
import { TinkerClient } from "../rl/tinker/client.js";
import { readTinkerCheckpoint, TinkerBackend } from "../rl/tinker/tinker-backend.js";
import { ALGORITHMS, getAlgorithm } from "../rl/trainer/algorithms.js";
import { DEFAULT_RL_OPTIONS, type RlOptions, runRl, type TrainingTask } from "../rl/trainer/rl-trainer.js";
import { RunDirectory, withRunStatus } from "../rl/trainer/run-directory.js";
import { demonstrationTrajectories, runSft } from "../rl/trainer/sft.js";
import { readSftRecords, sftRecordTrajectory } from "../rl/trainer/sft-records.js";
import { createSearchProvider } from "../tools/search/create-provider.js";
import { runTool } from "../tools/tool.js";
import { configFrom, integerOption, numberOption, printJson } from "./context.js";

/** The bundled corpus the lookup task is generated from (works from src/ and from dist/). */
export function bundledCorpusPath(): string {
  return fileURLToPath(new URL("../../data/hotpotqa/corpus.jsonl", import.meta.url));
}

const BACKENDS = ["in-process", "tinker"];

/** The Tinker backend: a session and LoRA model on the server, resumed from the run's checkpoint when there is one. */
async function startTinker(
  config: Config,
  flags: CommonFlags,
  run: RunDirectory,
  resume: boolean,
): Promise<TinkerBackend> {
  if (!flags.baseModel)
    throw new InputError("--backend tinker needs --base-model <hub id|path> (the base model the Tinker server serves)");
  if (!flags.tokenizer)
    throw new InputError(
      "--backend tinker needs --tokenizer <dir|hub id> (the base model's tokenizer and chat template)",
    );
  const baseUrl = flags.tinkerUrl ?? config.tinker.baseUrl;
  if (!baseUrl) throw new InputError("--backend tinker needs the server: --tinker-url <url> or TINKER_BASE_URL");
  const reduction = flags.tinkerLossReduction;
  if (reduction !== "sequence-mean" && reduction !== "sum")
    throw new InputError(`--tinker-loss-reduction must be sequence-mean or sum, not "${reduction}"`);
  const template = JinjaChatTemplate.load(flags.tokenizer);
  const client = new TinkerClient({ baseUrl, ...(config.tinker.apiKey ? { apiKey: config.tinker.apiKey } : {}) });
  return TinkerBackend.start({
    client,
    baseModel: flags.baseModel,
    template,
    loraRank: flags.loraRank,
    lossReduction: reduction,
    seed: flags.seed,
    learningRate: flags.lr ?? 4e-5,
    ...(resume ? { resume: readTinkerCheckpoint(run.checkpointPath) } : {}),
    ...(!resume && flags.init ? { init: readTinkerCheckpoint(flags.init) } : {}),
  });
}

interface CommonFlags {
  backend?: string;
  baseModel?: string;
  tokenizer?: string;
  tinkerUrl?: string;
  loraRank: number;
  tinkerLossReduction: string;
  policy: string;
  task: string;
  protocol: string;
  corpus?: string;
  search?: string;
  data?: string;
  corpusFile?: string;
  entities: number;
  askedFields: number;
  answerVocabulary: number;
  teacher?: string;
  init?: string;
  runDir?: string;
  seed: number;
  steps: number;
  lr?: number;
  evalEvery: number;
  evalSize: number;
  maxTurns: number;
  maxTokensPerTurn?: number;
  maxLength: number;
  checkpointEvery: number;
  quiet?: boolean;
}

interface Setup {
  task: TrainingTask;
  run: RunDirectory;
  backend: InProcessBackend | TinkerBackend;
  protocol: ProtocolName;
  startStep: number;
  demonstrations?: ReturnType<typeof lookupDemonstrations>;
  fitTexts: string[];
}

function addCommonOptions(command: Command): Command {
  return command
    .option(
      "--backend <name>",
      "in-process (a small CPU policy) or tinker (a Tinker-API server: SkyRL or hosted)",
      "in-process",
    )
    .option("--base-model <id|path>", "tinker: the base model the server serves (e.g. Qwen/Qwen3-8B)")
    .option("--tokenizer <dir|hub-id>", "tinker: the base model's tokenizer files (chat template), never downloaded")
    .option("--tinker-url <url>", "tinker: server URL (env TINKER_BASE_URL; key in TINKER_API_KEY)")
    .option("--lora-rank <n>", "tinker: LoRA rank", integerOption("lora-rank"), 32)
    .option(
      "--tinker-loss-reduction <mode>",
      "tinker: how the server reduces a loss — sequence-mean (SkyRL's JAX backend) or sum (the Tinker SDK's Σ)",
      "sequence-mean",
    )
    .option("--policy <preset>", `in-process model size (${Object.keys(POLICY_PRESETS).join(", ")})`, "tiny")
    .option("--task <name>", "built-in task when no --data is given (lookup)", "lookup")
    .option("--protocol <name>", `agent protocol of the rollouts: ${PROTOCOL_NAMES.join(", ")}`, "search-r1")
    .option("--corpus <name>", "built corpus to search (with --data)")
    .option("--search <provider>", "with --data: search provider instead of a corpus (retrieve[:url], serper, ...)")
    .option("--data <questions.jsonl>", "questions {question, answer} to train on (with --corpus)")
    .option("--corpus-file <file>", "passages JSONL the lookup task is generated from (default: bundled HotpotQA)")
    .option("--entities <n>", "lookup task: number of passages", integerOption("entities"), 48)
    .option(
      "--asked-fields <n>",
      "lookup task: how many of the fields (first..fourth) questions ask about, 1-4",
      integerOption("asked-fields"),
      1,
    )
    .option(
      "--answer-vocabulary <n>",
      "lookup task: answers come from the n words found in the most passages (0: any word)",
      integerOption("answer-vocabulary"),
      32,
    )
    .option("--init <checkpoint>", "start from this checkpoint directory (e.g. an SFT run's checkpoint)")
    .option("--run-dir <dir>", "run directory (default $DRKIT_HOME/runs/<command>-<task>-<algo>-seed<S>)")
    .option("--seed <n>", "seed for initialisation, sampling and data order", integerOption("seed"), 0)
    .option("--steps <n>", "optimizer steps", integerOption("steps"), 40)
    .option("--lr <rate>", "Adam learning rate", numberOption("lr"))
    .option(
      "--eval-every <n>",
      "evaluate on held-out questions every n steps (0: never)",
      integerOption("eval-every"),
      10,
    )
    .option("--eval-size <n>", "held-out questions per evaluation (0: all)", integerOption("eval-size"), 0)
    .option("--max-turns <n>", "turns per episode", integerOption("max-turns"), 3)
    .option(
      "--max-tokens-per-turn <n>",
      "sampled tokens per turn (default 6 in process, 1024 with tinker)",
      integerOption("max-tokens-per-turn"),
    )
    .option("--max-length <n>", "context length of a fresh policy", integerOption("max-length"), 48)
    .option("--checkpoint-every <n>", "save a checkpoint every n steps", integerOption("checkpoint-every"), 5)
    .option("--quiet", "no progress output");
}

/** Every protocol string the word tokenizer should know (tags, feedback, the ReAct call shape). */
const PROTOCOL_TEXTS = [
  SEARCH_R1_INVALID_FEEDBACK,
  REACT_NO_ACTION_FEEDBACK,
  REACT_BAD_JSON_FEEDBACK,
  REACT_CALL_WORDS,
];

async function dataTask(config: Config, flags: CommonFlags, protocol: ProtocolName, inProcess: boolean) {
  if (!flags.corpus && !flags.search)
    throw new InputError(
      "--data needs --corpus <name> (build one with: drkit corpus build <name> --from <file>) or --search <provider>",
    );
  const questions = readQuestions(flags.data as string);
  let corpus: Corpus | undefined;
  if (flags.corpus) corpus = openCorpus(flags.corpus, { home: config.home });
  const provider = createSearchProvider({
    provider: flags.search ?? "corpus",
    ...(flags.corpus ? { corpus: flags.corpus } : {}),
    home: config.home,
  });
  const task = searchTrainingTask(questions, provider, { ...(corpus ? { corpus } : {}), questionOnly: inProcess });
  const search = inProcess ? task.tools(protocol)[0] : undefined;
  const observations = search
    ? await Promise.all(
        questions.slice(0, 200).map(async (q) => (await runTool(search, { query: q.question })).content),
      )
    : [];
  const fitTexts = [...questions.flatMap((q) => [q.question, ...q.goldAnswers]), ...observations, ...PROTOCOL_TEXTS];
  return { task, fitTexts };
}

/** A run's saved state, if any; records after its checkpoint are dropped (all of them for a fresh run). */
function resumeState(run: RunDirectory, quiet: boolean | undefined) {
  const state = run.state();
  run.truncateAfter(state?.step ?? -1);
  if (state && !quiet) process.stderr.write(`resuming ${run.path} from step ${state.step}\n`);
  return state;
}

/** Bad numbers and a missing --init fail before the run directory is created. */
function checkCounts(flags: CommonFlags & { groupSize?: number; promptsPerStep?: number; batchSize?: number }): void {
  const counts: [string, number | undefined][] = [
    ["steps", flags.steps],
    ["max-turns", flags.maxTurns],
    ["max-tokens-per-turn", flags.maxTokensPerTurn],
    ["checkpoint-every", flags.checkpointEvery],
    ["group-size", flags.groupSize],
    ["prompts-per-step", flags.promptsPerStep],
    ["batch-size", flags.batchSize],
    ["lora-rank", flags.loraRank],
    ["summarize-at", (flags as { summarizeAt?: number }).summarizeAt],
  ];
  for (const [name, value] of counts)
    if (value !== undefined && value < 1) throw new InputError(`--${name} must be at least 1, got ${value}`);
  if (flags.evalEvery < 0 || flags.evalSize < 0) throw new InputError("--eval-every and --eval-size must be ≥ 0");
  if (flags.init && !existsSync(flags.init)) throw new InputError(`--init: no checkpoint directory at ${flags.init}`);
}

async function setup(command: Command, flags: CommonFlags, kind: string, algorithm: string): Promise<Setup> {
  const config = configFrom(command);
  checkCounts(flags);
  if (!PROTOCOL_NAMES.includes(flags.protocol as ProtocolName))
    throw new InputError(`unknown --protocol "${flags.protocol}"; known: ${PROTOCOL_NAMES.join(", ")}`);
  const protocol = flags.protocol as ProtocolName;
  let task: TrainingTask;
  let demonstrations: Setup["demonstrations"];
  let fitTexts: string[];
  const backendKind = flags.backend ?? "in-process";
  if (!BACKENDS.includes(backendKind))
    throw new InputError(`unknown --backend "${backendKind}"; known: ${BACKENDS.join(", ")}`);
  if (flags.data) {
    ({ task, fitTexts } = await dataTask(config, flags, protocol, backendKind === "in-process"));
  } else if (backendKind === "tinker") {
    throw new InputError(
      "--backend tinker trains on your questions: give --data q.jsonl with --corpus <name> or --search <provider>",
    );
  } else {
    if (flags.task !== "lookup")
      throw new InputError(`unknown --task "${flags.task}"; known: lookup (or give --data and --corpus)`);
    const corpusPath = flags.corpusFile ?? bundledCorpusPath();
    if (!existsSync(corpusPath)) throw new InputError(`passage file not found: ${corpusPath}`);
    if (flags.askedFields < 1 || flags.askedFields > 4) throw new InputError("--asked-fields must be 1, 2, 3 or 4");
    const teacher = (flags.teacher ?? "exact") as LookupTeacher;
    if (!LOOKUP_TEACHERS.includes(teacher)) {
      throw new InputError(`unknown --teacher "${flags.teacher}"; known: ${LOOKUP_TEACHERS.join(", ")}`);
    }
    const lookup = loadLookupTask({
      corpusPath,
      entities: flags.entities,
      askedFields: flags.askedFields,
      answerVocabulary: flags.answerVocabulary,
      maxTitleWords: 1,
      seed: 7,
    });
    task = lookupTrainingTask(lookup);
    demonstrations = lookupDemonstrations(lookup, { teacher, protocol });
    fitTexts = lookup.texts();
  }
  const runDir =
    flags.runDir ??
    join(config.home, "runs", `${kind}-${flags.data ? "data" : flags.task}-${algorithm}-seed${flags.seed}`);
  const run = new RunDirectory(runDir);
  const state = resumeState(run, flags.quiet);
  const startStep = state?.step ?? 0;
  if (backendKind === "tinker") {
    const backend = await startTinker(config, flags, run, state !== undefined);
    return { task, run, backend, protocol, startStep, demonstrations, fitTexts };
  }
  let policy: InProcessPolicy;
  if (state) policy = await InProcessPolicy.load(run.checkpointPath);
  else if (flags.init) policy = await InProcessPolicy.load(flags.init);
  else {
    const preset = POLICY_PRESETS[flags.policy];
    if (!preset)
      throw new InputError(`unknown --policy "${flags.policy}"; known: ${Object.keys(POLICY_PRESETS).join(", ")}`);
    const tokenizer = WordTokenizer.fit(fitTexts);
    policy = await InProcessPolicy.create({
      config: { ...preset, vocabSize: tokenizer.size, maxLength: flags.maxLength },
      tokenizer,
      seed: flags.seed,
      microBatch: 16,
    });
  }
  return { task, run, backend: new InProcessBackend(policy), protocol, startStep, demonstrations, fitTexts };
}

/** `drkit sft --backend tinker --data <sft-chatml export>`: the negative log-likelihood of the trained assistant tokens only. */
async function sftWithTinker(command: Command, flags: CommonFlags & { batchSize: number }): Promise<void> {
  if (!flags.data)
    throw new InputError(
      "drkit sft --backend tinker needs --data <file>: an sft-chatml export (drkit collect export --format sft-chatml)",
    );
  const config = configFrom(command);
  checkCounts(flags);
  const records = readSftRecords(flags.data);
  const run = new RunDirectory(flags.runDir ?? join(config.home, "runs", `sft-tinker-seed${flags.seed}`));
  const state = resumeState(run, flags.quiet);
  const backend = await startTinker(config, flags, run, state !== undefined);
  const trajectories = records.map((record) => sftRecordTrajectory(record, backend.template));
  const options = {
    steps: flags.steps,
    batchSize: flags.batchSize,
    learningRate: flags.lr ?? 1e-4,
    seed: flags.seed,
    evalEvery: 0,
    evalSize: 0,
    maxTurns: flags.maxTurns,
    maxTokensPerTurn: flags.maxTokensPerTurn ?? 1024,
    protocol: "react" as ProtocolName,
    checkpointEvery: flags.checkpointEvery,
    quiet: flags.quiet ?? false,
  };
  run.options(
    { ...options, steps: undefined, data: flags.data, baseModel: flags.baseModel, loraRank: flags.loraRank } as Record<
      string,
      unknown
    >,
    sameRun(["seed", "batchSize", "data", "learningRate", "baseModel", "loraRank"]),
  );
  try {
    await withRunStatus(run, () => runSft(backend, undefined, trajectories, run, options, state?.step ?? 0));
  } finally {
    await backend.close();
    run.close();
  }
  const losses = readJsonlRecords<{ step: number; sft_loss: number }>(join(run.path, "metrics.jsonl"));
  printJson({
    runDir: run.path,
    checkpoint: run.checkpointPath,
    firstLoss: losses[0]?.sft_loss ?? null,
    lastLoss: losses.at(-1)?.sft_loss ?? null,
  });
}

interface TrainFlags extends CommonFlags {
  algo: string;
  groupSize: number;
  promptsPerStep: number;
  temperature: number;
  entropyCoeff: number;
  clipRatio: number;
  clipRatioHigh?: number;
  valueCoeff: number;
  maskObservations: boolean;
  saveRollouts?: boolean;
  reward: string;
  judge?: string;
  lossPath: "custom" | "native";
  summarizeAt?: number;
}

/** The training reward; judge-based rewards get an LLM judge from the config's judge endpoint. */
function trainingReward(command: Command, flags: TrainFlags): RewardFunction {
  const needsJudge = flags.reward === "webdancer" || flags.reward === "judge";
  if (!needsJudge) return createReward(flags.reward);
  const judgeName = flags.judge ?? "equivalence";
  if (!JUDGE_NAMES.includes(judgeName))
    throw new InputError(`unknown --judge "${judgeName}"; choose ${JUDGE_NAMES.join(", ")}`);
  const config = configFrom(command);
  return createReward(flags.reward, { judge: createJudge(judgeName, createChatModel(config, { role: "judge" })) });
}

function sameRun(keys: readonly string[]) {
  return (saved: Record<string, unknown>, current: Record<string, unknown>) => {
    for (const key of keys) {
      if (JSON.stringify(saved[key]) !== JSON.stringify(current[key])) {
        return `this run directory was started with ${key}=${JSON.stringify(saved[key])}, not ${JSON.stringify(current[key])}`;
      }
    }
    return undefined;
  };
}

export function registerTrainCommands(program: Command): void {
  const train = program
    .command("train")
    .description(
      "RL through the agent loop (GRPO, PPO, DAPO, RLOO, REINFORCE++, ...): the in-process policy, or a real model on a Tinker server",
    )
    .option("--algo <name>", `algorithm (${Object.keys(ALGORITHMS).join(", ")})`, "grpo")
    .option("--group-size <n>", "samples per question (GRPO group size n)", integerOption("group-size"), 4)
    .option("--prompts-per-step <n>", "questions per step", integerOption("prompts-per-step"), 8)
    .option("--temperature <t>", "rollout temperature", numberOption("temperature"), 1)
    .option("--entropy-coeff <c>", "entropy bonus coefficient", numberOption("entropy-coeff"), 0)
    .option("--clip-ratio <e>", "PPO clip ratio ε", numberOption("clip-ratio"), 0.2)
    .option(
      "--clip-ratio-high <e>",
      "upper clip ratio (DAPO clip-higher; default per algorithm)",
      numberOption("clip-ratio-high"),
    )
    .option("--value-coeff <c>", "PPO value-loss coefficient", numberOption("value-coeff"), 0.5)
    .option(
      "--no-mask-observations",
      "ablation: let observation tokens into the loss (the bug of unmasked tool output)",
    )
    .option("--save-rollouts", "append every rollout trajectory to rollouts.jsonl")
    .option(
      "--summarize-at <tokens>",
      "context strategy summarize (ReSum): past this context size the policy summarises its history and restarts; each segment is a training sample sharing its rollout's advantage (grpo, dr_grpo, rloo, gpg, grpo_passk)",
      integerOption("summarize-at"),
    )
    .option(
      "--reward <name>",
      "training reward: em, or a named reward of docs/rewards.md (deepresearch-r1, search-r1-format, ...); held-out evaluation is always EM",
      "em",
    )
    .option("--judge <name>", "LLM judge for --reward webdancer|judge (config.judge endpoint)", "equivalence")
    .option(
      "--loss-path <path>",
      "custom (drkit's loss through d loss/d logprob; any algorithm) or native (tinker: the server's PPO-clip loss, no forward pass)",
      "custom",
    );
  addCommonOptions(train).action(async (flags: TrainFlags, command: Command) => {
    // Bad flags fail before any work.
    const reward = trainingReward(command, flags);
    if (flags.lossPath !== "custom" && flags.lossPath !== "native")
      throw new InputError(`--loss-path must be custom or native, not "${flags.lossPath}"`);
    if (flags.lossPath === "native" && flags.backend !== "tinker")
      throw new InputError("--loss-path native needs --backend tinker (the in-process policy has no native loss)");
    getAlgorithm(flags.algo);
    if (flags.temperature !== 1) {
      throw new InputError(
        `--temperature must be 1 for RL (got ${flags.temperature}): the in-process policy scores log-probabilities at temperature 1`,
      );
    }
    const { task, run, backend, protocol, startStep } = await setup(command, flags, "train", flags.algo);
    const options: RlOptions = {
      ...DEFAULT_RL_OPTIONS,
      algorithm: flags.algo,
      protocol,
      lossPath: flags.lossPath,
      steps: flags.steps,
      groupSize: flags.groupSize,
      promptsPerStep: flags.promptsPerStep,
      learningRate: flags.lr ?? (flags.backend === "tinker" ? 4e-5 : DEFAULT_RL_OPTIONS.learningRate),
      clipRatio: flags.clipRatio,
      clipRatioHigh: flags.clipRatioHigh,
      entropyCoeff: flags.entropyCoeff,
      valueCoeff: flags.valueCoeff,
      maxTurns: flags.maxTurns,
      maxTokensPerTurn: flags.maxTokensPerTurn ?? (flags.backend === "tinker" ? 1024 : 6),
      temperature: flags.temperature,
      seed: flags.seed,
      evalEvery: flags.evalEvery,
      evalSize: flags.evalSize,
      maskObservations: flags.maskObservations,
      checkpointEvery: flags.checkpointEvery,
      saveRollouts: flags.saveRollouts ?? false,
      quiet: flags.quiet ?? false,
      reward: flags.reward,
      ...(flags.summarizeAt ? { context: { strategy: "summarize", thresholdTokens: flags.summarizeAt } as const } : {}),
    };
    run.options(
      {
        ...options,
        steps: undefined,
        task: task.name,
        init: flags.init ?? null,
        askedFields: flags.askedFields,
        answerVocabulary: flags.answerVocabulary,
        backend: flags.backend ?? "in-process",
        baseModel: flags.baseModel ?? null,
        loraRank: flags.backend === "tinker" ? flags.loraRank : null,
      } as Record<string, unknown>,
      sameRun([
        "algorithm",
        "protocol",
        "backend",
        "baseModel",
        "loraRank",
        "seed",
        "context",
        "groupSize",
        "promptsPerStep",
        "maskObservations",
        "task",
        "init",
        "learningRate",
        "askedFields",
        "answerVocabulary",
        "reward",
      ]),
    );
    let result: Awaited<ReturnType<typeof runRl>>;
    try {
      result = await withRunStatus(run, () => runRl(backend, task, run, options, startStep, reward));
    } finally {
      if (backend instanceof TinkerBackend) await backend.close();
    }
    run.close();
    printJson({ runDir: run.path, steps: result.steps, heldOutExactMatch: result.lastEval?.exact_match ?? null });
  });

  const sft = program
    .command("sft")
    .description(
      "Masked SFT (observation tokens get no loss): the in-process policy on demonstrations, or a real model on a Tinker server from an sft-chatml export",
    )
    .option("--batch-size <n>", "demonstrations per step", integerOption("batch-size"), 16)
    .option(
      "--teacher <name>",
      "lookup demonstrations: exact (always the asked field) or any-field (a random field of the result)",
      "exact",
    );
  addCommonOptions(sft).action(async (flags: CommonFlags & { batchSize: number }, command: Command) => {
    if (flags.backend === "tinker") {
      await sftWithTinker(command, flags);
      return;
    }
    const { task, run, backend, protocol, startStep, demonstrations } = await setup(command, flags, "sft", "sft");
    if (!demonstrations) {
      throw new InputError(
        "drkit sft needs demonstrations: use the built-in --task lookup (trajectory files are not supported yet)",
      );
    }
    const options = {
      steps: flags.steps,
      batchSize: flags.batchSize,
      learningRate: flags.lr ?? 3e-3,
      seed: flags.seed,
      evalEvery: flags.evalEvery,
      evalSize: flags.evalSize,
      maxTurns: flags.maxTurns,
      maxTokensPerTurn: flags.maxTokensPerTurn ?? (flags.backend === "tinker" ? 1024 : 6),
      protocol,
      checkpointEvery: flags.checkpointEvery,
      quiet: flags.quiet ?? false,
    };
    run.options(
      {
        ...options,
        steps: undefined,
        task: task.name,
        teacher: flags.teacher,
        askedFields: flags.askedFields,
        answerVocabulary: flags.answerVocabulary,
      } as Record<string, unknown>,
      sameRun(["seed", "batchSize", "task", "protocol", "learningRate", "teacher", "askedFields", "answerVocabulary"]),
    );
    const trajectories = await demonstrationTrajectories(backend, task, demonstrations, protocol);
    if (trajectories.length === 0)
      throw new InputError(
        `no demonstration fits the policy's context (--max-length ${flags.maxLength}); raise --max-length`,
      );
    const result = await withRunStatus(run, () => runSft(backend, task, trajectories, run, options, startStep));
    run.close();
    printJson({
      runDir: run.path,
      checkpoint: run.checkpointPath,
      heldOutExactMatch: result.lastEval?.exact_match ?? null,
    });
  });
}
