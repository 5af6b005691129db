export * from "./errors/index.js";
export * from "./lines/index.js";
export * from "./process/index.js";
export * from "./plugins/index.js";
export * from "./metrics/index.js";
export * from "./monitor/index.js";
export * from "./nodeos/index.js";
export * from "./daemon.js";
