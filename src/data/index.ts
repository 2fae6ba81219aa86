export * from "./benchmarks.js";
export * from "./decrypt.js";
export * from "./load.js";
export * from "./question.js";
export * from "./tables.js";
