import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

// From dist/index.js the bins are siblings; from src/helpers/*.ts (tests of this package) they are in ../../dist.
function bin(name: string): string {
  const sibling = fileURLToPath(new URL(`./${name}`, import.meta.url));
  return existsSync(sibling) ? sibling : fileURLToPath(new URL(`../../dist/${name}`, import.meta.url));
}

/** Absolute path of the built nodeos simulator (run it with `node`, or directly: it is executable). */
export const NODEOS_SIM_BIN: string = bin("nodeos-sim.js");

/** Absolute path of the built blocksigner simulator. */
export const BLOCKSIGNER_SIM_BIN: string = bin("blocksigner-sim.js");
