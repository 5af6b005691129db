export * from "./store.js";
export * from "./errors.js";
export * from "./keys.js";
export * from "./retry.js";
export * from "./file-store.js";
export * from "./gcs-store.js";
export * from "./open-store.js";
