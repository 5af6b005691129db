export * from "./version.js";
export * from "./accepted.js";
export * from "./assembler.js";
export * from "./continuity.js";
export * from "./plugin.js";
