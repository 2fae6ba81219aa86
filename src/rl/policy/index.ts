export * from "./in-process-policy.js";
export * from "./openai-sampling-policy.js";
export * from "./policy.js";
export * from "./remote-trainer.js";
export * from "./tokenizer.js";
export * from "./transformer.js";
