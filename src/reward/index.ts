export * from "./extract.js";
export * from "./format.js";
export * from "./interop.js";
export * from "./normalize.js";
export * from "./rewards.js";
