export * from "./coordinator.js";
export * from "./local-coordinator.js";
export * from "./create-coordinator.js";
