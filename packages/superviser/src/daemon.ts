import type { DaemonParts } from "@manageos/core";
import { createNodeosChain } from "./nodeos/nodeos-chain.js";
import { createNodeosProduction, productionRoutes } from "./nodeos/production/daemon-part.js";

/** The daemon of the nodeos apps: a supervised nodeos as the Chain, with block-producer mode and its routes. */
export const nodeosDaemon: DaemonParts = {
  createChain: (config, deps) => createNodeosChain(config, deps),
  createProduction: (config, deps) => createNodeosProduction(config, deps),
  routes: (_config, deps) => [productionRoutes(deps)],
};
