export * from "./duration.js";
export * from "./schema.js";
export * from "./sources.js";
export * from "./load.js";
