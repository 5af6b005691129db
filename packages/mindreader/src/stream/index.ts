export * from "./block-stream.js";
export * from "./sse.js";
export * from "./route.js";
