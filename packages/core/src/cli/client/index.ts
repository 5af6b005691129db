export * from "./api-client.js";
export * from "./progress.js";
export * from "./commands.js";
