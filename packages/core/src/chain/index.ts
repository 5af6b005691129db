export * from "./types.js";
export * from "./chain.js";
