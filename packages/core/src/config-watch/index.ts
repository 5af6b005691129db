export * from "./config-reloader.js";
export * from "./configmap-watcher.js";
export * from "./dir-watcher.js";
export * from "./reload-plan.js";
export * from "./create-config-watch.js";
