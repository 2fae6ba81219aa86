export * from "./items.js";
export * from "./judges/index.js";
export * from "./metrics.js";
export * from "./report.js";
export * from "./run-store.js";
export * from "./runner.js";
export * from "./score.js";
