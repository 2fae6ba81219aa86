export * from "./from-config.js";
export * from "./protocols/native-tools.js";
export * from "./protocols/protocol.js";
export * from "./protocols/react.js";
export * from "./protocols/search-r1.js";
export * from "./run-agent.js";
export * from "./token-view.js";
export * from "./types.js";
