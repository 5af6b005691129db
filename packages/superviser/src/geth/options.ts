import type { Config } from "@manageos/core";
import { type ProcessPolicy, processPolicy } from "../process/process-policy.js";

/** Everything a geth Chain needs, taken from the manageos config by `gethChainOptions`. */
export interface GethChainOptions extends ProcessPolicy {
  binary: string;
  dataDir: string;
  /** Argument template: `{data-dir}`, `{http-port}`, `{http-host}` are replaced. */
  args: readonly string[];
  /** JSON-RPC URL; its port fills `{http-port}`. Port 0 means: learn it from the node's log. */
  rpcUrl: string;
  env: Record<string, string>;
  pollInterval: number;
  apiTimeoutMs?: number;
}

/** Maps the validated manageos config onto geth Chain options (`node.httpAddress` when `geth.rpcUrl` is unset). */
export function gethChainOptions(config: Config): GethChainOptions {
  return {
    binary: config.node.binary,
    dataDir: config.node.dataDir,
    args: config.geth.args,
    rpcUrl: config.geth.rpcUrl ?? `http://${config.node.httpAddress.replace(/^0\.0\.0\.0:/, "127.0.0.1:")}`,
    env: config.node.env,
    pollInterval: config.node.pollInterval,
    ...processPolicy(config),
  };
}
