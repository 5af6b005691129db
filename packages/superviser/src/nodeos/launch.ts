import type { ChainStartOptions, Logger } from "@manageos/core";
import type { LaunchSpec } from "../process/spawn-child.js";
import { nodeosArgs } from "./args.js";
import { fetchBlocksignerKeys, keosdSignatureProvider } from "./blocksigner.js";
import { writeConfigIni } from "./config-file.js";
import { readFinalizerKeys } from "./finalizer-keys.js";
import type { NodeosChainOptions } from "./options.js";
import { type NodeosRelease, refusedOption } from "./release.js";
import { SuperviserErrors } from "../errors/index.js";

/** What a launch needs beyond the options: the release of the binary, and finalizer keys refused for this node. */
export interface LaunchContext {
  /** Unknown outside bp mode unless node.release says it: nothing release-specific is then checked or added. */
  readonly release: NodeosRelease | undefined;
  /** Public keys another node of ours also holds: left out of config.ini. */
  readonly refusedFinalizerKeys?: ReadonlySet<string>;
}

// Spring's guidance for producer and relay nodes; 0 would keep votes from propagating.
const BP_VOTE_THREADS = "4";

/** Writes config.ini (template, config keys, managed keys with the blocksigner's keys) and builds the command line. */
export async function nodeosLaunch(
  o: NodeosChainOptions,
  start: ChainStartOptions,
  deps: { logger: Logger },
  context: LaunchContext = { release: undefined },
): Promise<LaunchSpec> {
  const blockSigners = o.bp.enabled
    ? (await fetchBlocksignerKeys({ url: o.bp.blocksigner, attempts: o.blocksignerAttempts, retryBase: o.blocksignerRetryBase }, deps)).map(
        (key) => (o.signingFence === undefined ? keosdSignatureProvider(key, o.bp.blocksigner) : `${key}=KEOSD:${o.signingFence.signUrl}`),
      )
    : undefined;
  const finalizerSigners =
    o.bp.enabled && o.bp.finalizerKeys !== undefined ? await finalizerProviders(o.bp.finalizerKeys, context, deps) : [];
  const signatureProviders = blockSigners === undefined ? undefined : [...blockSigners, ...finalizerSigners];
  // nodeos waits this long for a signature from the fence, then skips the slot.
  const fenceKeys: Record<string, string> =
    o.bp.enabled && o.signingFence !== undefined ? { "keosd-provider-timeout": String(Math.ceil(o.signingFence.timeoutMs)) } : {};
  // bp mode: nodeos always starts paused; a node meant to produce enters production through the safe resume.
  await writeConfigIni(o.configDir, o.configTemplate, {
    httpServerAddress: o.httpAddress,
    pauseOnStartup: o.bp.enabled ? true : undefined,
    producerName: o.bp.enabled ? o.bp.producerName : undefined,
    signatureProviders,
    deepMind: o.deepMind,
    extra: { ...o.configKeys, ...fenceKeys },
    defaults: o.bp.enabled && context.release === "spring" ? { "vote-threads": BP_VOTE_THREADS } : {},
    refuse: (key) => (context.release === undefined ? undefined : refusedOption(key, context.release)),
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

// This node's BLS finalizer keys as signature-provider lines (Spring only), less those another node of ours holds.
async function finalizerProviders(path: string, context: LaunchContext, deps: { logger: Logger }): Promise<string[]> {
  if (context.release !== "spring")
    throw SuperviserErrors.optionRefused("signature-provider (BLS)", "bp.finalizerKeys needs Spring 1.x; this nodeos is leap");
  const keys = await readFinalizerKeys(path);
  const refused = keys.filter((k) => context.refusedFinalizerKeys?.has(k.publicKey) === true);
  if (refused.length > 0) {
    deps.logger.error(
      { refused: refused.map((k) => k.publicKey) },
      "finalizer keys left out of config.ini: another node of ours holds them too",
    );
  }
  return keys.filter((k) => !refused.includes(k)).map((k) => `${k.publicKey}=KEY:${k.privateKey}`);
}
