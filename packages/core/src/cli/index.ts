export * from "./variant.js";
export * from "./run-flags.js";
export * from "./program.js";
export * from "./client/index.js";
export * from "./run-app.js";
