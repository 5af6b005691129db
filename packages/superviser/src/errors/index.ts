export * from "./superviser-errors.js";
