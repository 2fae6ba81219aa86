/** drkit: one namespace per area; each is also importable on its own as `drkit/<area>`. */
export * as agent from "./agent/index.js";
export * as collect from "./collect/index.js";
export * as core from "./core/index.js";
export * as corpus from "./corpus/index.js";
export * as data from "./data/index.js";
export * as evaluation from "./eval/index.js";
export * as llm from "./llm/index.js";
export * as reward from "./reward/index.js";
export * as rl from "./rl/index.js";
export * as serve from "./serve/index.js";
export * as synth from "./synth/index.js";
export * as tools from "./tools/index.js";
