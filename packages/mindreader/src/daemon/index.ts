export * from "./mindreader-daemon.js";
export * from "./node-control.js";
export * from "./writer-suffix.js";
