export * from "./ai-sdk-chat-model.js";
export * from "./chat-model.js";
export * from "./from-config.js";
export * from "./openai-compatible.js";
export * from "./reasoning.js";
export * from "./response-cache.js";
export * from "./retry.js";
