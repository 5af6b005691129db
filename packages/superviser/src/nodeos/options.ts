import { hostname } from "node:os";
import type { Config } from "@manageos/core";
import { type ProcessPolicy, processPolicy } from "../process/process-policy.js";

/** Everything a nodeos Chain needs, taken from the manageos config by `nodeosChainOptions`. */
export interface NodeosChainOptions extends ProcessPolicy {
  flavour: "eos" | "bos";
  binary: string;
  dataDir: string;
  configDir: string;
  genesisJson?: string;
  configTemplate?: string;
  configKeys: Record<string, string | readonly string[]>;
  /** `host:port` nodeos listens on (config.ini `http-server-address`). */
  httpAddress: string;
  extraArgs: readonly string[];
  env: Record<string, string>;
  pollInterval: number;
  bp: { enabled: boolean; producerName?: string; blocksigner: string; producerHostname?: string; finalizerKeys?: string };
  /** Which nodeos line the binary is; `auto` asks `nodeos --version` before the first start. */
  release: "auto" | "leap" | "spring";
  hostname?: string;
  /** mindreader variants: `deep-mind = true`. */
  deepMind: boolean;
  /** Re-emit DMLOG lines in manageos' log. */
  deepMindLines: boolean;
  apiTimeoutMs?: number;
  blocksignerAttempts?: number;
  blocksignerRetryBase?: number;
  /** bp mode: the signing fence nodeos signs through (set by block-producer mode before the first start). */
  signingFence?: { signUrl: string; timeoutMs: number };
}

/** Maps the validated manageos config onto nodeos Chain options. */
export function nodeosChainOptions(config: Config): NodeosChainOptions {
  return {
    flavour: config.app.flavour === "bos" ? "bos" : "eos",
    binary: config.node.binary,
    release: config.node.release,
    dataDir: config.node.dataDir,
    configDir: config.node.configDir,
    genesisJson: config.node.genesisJson,
    configTemplate: config.node.configTemplate,
    configKeys: config.node.configKeys,
    httpAddress: config.node.httpAddress,
    extraArgs: config.node.extraArgs,
    env: config.node.env,
    pollInterval: config.node.pollInterval,
    ...processPolicy(config),
    bp: config.bp,
    hostname: config.hostname ?? hostname(),
    deepMind: config.mindreader.enabled,
    deepMindLines: config.log.deepMindLines,
  };
}

/** bp mode: whether this machine is the designated producer host (`bp.producerHostname`). */
export function isProducerHost(o: Pick<NodeosChainOptions, "bp" | "hostname">): boolean {
  return o.bp.enabled && o.bp.producerHostname !== undefined && o.bp.producerHostname === o.hostname;
}

/** The URL to reach a `host:port` listen address from this machine (wildcards become loopback). */
export function localUrl(hostPort: string): string {
  const fixed = hostPort.replace(/^0\.0\.0\.0:/, "127.0.0.1:").replace(/^\[::\]:/, "[::1]:");
  return `http://${fixed}`;
}
