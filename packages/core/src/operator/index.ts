export * from "./errors.js";
export * from "./services.js";
export * from "./metrics.js";
export * from "./operator.js";
export * from "./production-after-job.js";
export * from "./node-watch.js";
