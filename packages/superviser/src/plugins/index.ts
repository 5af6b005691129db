export * from "./keep-last-lines.js";
export * from "./level-mapping.js";
export * from "./regexp-hook.js";
