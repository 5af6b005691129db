export * from "./chain-metrics.js";
export * from "./exit-reason.js";
export * from "./superviser-metrics.js";
