export * from "./coordinator.js";
export * from "./local-coordinator.js";
