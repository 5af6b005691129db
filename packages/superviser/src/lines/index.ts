export * from "./line-splitter.js";
export * from "./line-stats.js";
export * from "./line-pipeline.js";
export * from "./plugin-runner.js";
