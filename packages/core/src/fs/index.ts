export * from "./atomic-write.js";
