export * from "./judge.js";
export * from "./parse.js";
export * from "./prompts.js";
