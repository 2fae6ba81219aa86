export * as core from "./core/index.js";
