export * from "./args.js";
export * from "./geth-chain.js";
export * from "./geth-monitor.js";
export * from "./log-level.js";
export * from "./options.js";
export * from "./rpc.js";
