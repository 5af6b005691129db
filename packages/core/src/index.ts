export * from "./errors/index.js";
export * from "./config/index.js";
export * from "./logging/index.js";
export * from "./metrics/index.js";
export * from "./fs/index.js";
export * from "./chain/index.js";
export * from "./version.js";
export * from "./storage/index.js";
