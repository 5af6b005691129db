import type { ChainKind } from "../chain/chain.js";
import type { Config, ConfigInput } from "../config/schema.js";
import type { ConfigSources } from "../config/load.js";
import type { Logger } from "../logging/logger.js";

/** What distinguishes the four apps: a name and configuration defaults. */
export interface AppVariant {
  /** `eos`, `bos`, `eos-mindreader`, `bos-mindreader`. */
  readonly name: string;
  /** The binary's name, e.g. `manageos-eos`. */
  readonly bin: string;
  readonly description: string;
  readonly defaults: ConfigInput;
  /** The node kinds the app runs; a configuration with another `node.kind` is refused (none given: any). */
  readonly nodeKinds?: readonly ChainKind[];
}

/** `path: message` lines for what the configuration asks and the app does not run. */
export function unsupportedByVariant(variant: AppVariant, config: Readonly<Config>): string[] {
  const kinds = variant.nodeKinds;
  if (kinds === undefined || kinds.includes(config.node.kind)) return [];
  return [`node.kind: ${config.node.kind} is not run by ${variant.bin}, which runs ${kinds.join(", ")} only`];
}

/** Runs the daemon until it is told to stop; resolves with the process exit code. */
export type Daemon = (config: Readonly<Config>, deps: { logger: Logger; variant: AppVariant; sources?: ConfigSources }) => Promise<number>;

/** Exit codes of the binary. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 64,
  unavailable: 69,
  config: 78,
} as const;
