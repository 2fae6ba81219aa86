export * from "./budget.js";
export * from "./config.js";
export * from "./errors.js";
export * from "./jsonl-store.js";
export * from "./progress.js";
export * from "./random.js";
export * from "./trajectory.js";
