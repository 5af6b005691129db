export * from "./job.js";
export * from "./errors.js";
export * from "./queue.js";
export * from "./submitter.js";
