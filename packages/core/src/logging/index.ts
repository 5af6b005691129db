export * from "./levels.js";
export * from "./logger.js";
export * from "./log-output.js";
export * from "./line-writer.js";
