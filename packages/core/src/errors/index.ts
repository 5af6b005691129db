export * from "./manageos-error.js";
export * from "./catalogue.js";
export * from "./core-errors.js";
