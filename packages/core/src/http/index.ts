export * from "./errors.js";
export * from "./auth.js";
export * from "./command-route.js";
export * from "./routes/commands.js";
export * from "./api-server.js";
