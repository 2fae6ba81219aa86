export * from "./agent-rollouts.js";
export * from "./algorithms.js";
export * from "./rl-trainer.js";
export * from "./run-directory.js";
export * from "./sft.js";
export * from "./sft-records.js";
export * from "./token-batch.js";
