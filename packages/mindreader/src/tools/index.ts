export * from "./read-block-file.js";
export * from "./blocks-print.js";
export * from "./blocks-check.js";
