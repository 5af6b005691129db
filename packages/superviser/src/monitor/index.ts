export * from "./poller.js";
