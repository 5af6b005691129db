export * from "./errors.js";
export * from "./helpers/bins.js";
export * from "./helpers/child.js";
export * from "./helpers/config-ini.js";
export * from "./helpers/nodeos.js";
export * from "./helpers/temp-dir.js";
export * from "./cluster/cluster-config.js";
export * from "./cluster/ledger.js";
export { readDirtyFlag, stateFilePath } from "./nodeos/state-file.js";
