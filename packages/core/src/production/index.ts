export * from "./clock.js";
export * from "./create-production.js";
export * from "./errors.js";
export * from "./peer-client.js";
export * from "./production-service.js";
export * from "./production-state.js";
export * from "./schedule.js";
export * from "./handoff.js";
