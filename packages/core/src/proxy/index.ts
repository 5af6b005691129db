export * from "./gate.js";
export * from "./sync.js";
export * from "./deny.js";
export * from "./errors.js";
export * from "./server.js";
