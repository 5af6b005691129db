export * from "./backoff.js";
export * from "./clock.js";
export * from "./restart-policy.js";
export * from "./spawn-child.js";
export * from "./superviser.js";
export * from "./superviser-types.js";
export * from "./terminate.js";
export * from "./process-policy.js";
