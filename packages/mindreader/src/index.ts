export * from "./errors.js";
export * from "./codec/index.js";
export * from "./reader/index.js";
export * from "./files/index.js";
export * from "./metrics/index.js";
export * from "./stream/index.js";
export * from "./daemon/index.js";
