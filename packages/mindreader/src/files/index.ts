export * from "./naming.js";
export * from "./content.js";
export * from "./uploader.js";
export * from "./bundler.js";
export * from "./backlog.js";
export * from "./block-files.js";
