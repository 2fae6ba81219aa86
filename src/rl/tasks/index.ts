export * from "./corpus-task.js";
export * from "./lookup-task.js";
export * from "./lookup-training-task.js";
