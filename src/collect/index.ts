/** drkit/collect: filter trajectories into SFT/RL data and export them (chatml with loss masks, WebDancer, verl parquet). */
export * from "./select.js";
export * from "./sft-export.js";
export * from "./trajectory-checks.js";
export * from "./trajectory-file.js";
export * from "./verl-parquet.js";
