import type { DaemonParts } from "@manageos/core";
import { createNodeosChain } from "./nodeos/nodeos-chain.js";

/** The daemon of the nodeos apps: a supervised nodeos as the Chain. */
export const nodeosDaemon: DaemonParts = {
  createChain: (config, deps) => createNodeosChain(config, deps),
};
