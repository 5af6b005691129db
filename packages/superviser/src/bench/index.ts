export * from "./nodeos-plugins.js";
export * from "./run-pipeline.js";
