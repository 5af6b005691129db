import type { ChainStartOptions, Logger } from "@manageos/core";
import type { LaunchSpec } from "../process/spawn-child.js";
import { nodeosArgs } from "./args.js";
import { fetchBlocksignerKeys, keosdSignatureProvider } from "./blocksigner.js";
import { writeConfigIni } from "./config-file.js";
import type { NodeosChainOptions } from "./options.js";

/** Writes config.ini (template, config keys, managed keys with the blocksigner's keys) and builds the command line. */
export async function nodeosLaunch(
  o: NodeosChainOptions,
  start: ChainStartOptions,
  deps: { logger: Logger },
): Promise<LaunchSpec> {
  const signatureProviders = o.bp.enabled
    ? (
        await fetchBlocksignerKeys(
          { url: o.bp.blocksigner, attempts: o.blocksignerAttempts, retryBase: o.blocksignerRetryBase },
          deps,
        )
      ).map((key) => (o.signingFence === undefined ? keosdSignatureProvider(key, o.bp.blocksigner) : `${key}=KEOSD:${o.signingFence.signUrl}`))
    : undefined;
  // nodeos waits this long for a signature from the fence, then skips the slot.
  const fenceKeys: Record<string, string> = o.bp.enabled && o.signingFence !== undefined ? { "keosd-provider-timeout": String(Math.ceil(o.signingFence.timeoutMs)) } : {};
  // bp mode: nodeos always starts paused; a node meant to produce enters production through the safe resume.
  await writeConfigIni(o.configDir, o.configTemplate, {
    httpServerAddress: o.httpAddress,
    pauseOnStartup: o.bp.enabled ? true : undefined,
    producerName: o.bp.enabled ? o.bp.producerName : undefined,
    signatureProviders,
    deepMind: o.deepMind,
    extra: { ...o.configKeys, ...fenceKeys },
  });
  const args = await nodeosArgs({
    configDir: o.configDir,
    dataDir: o.dataDir,
    genesisJson: o.genesisJson,
    extraArgs: o.extraArgs,
    start,
  });
  return { command: o.binary, args, env: o.env };
}
