import { join } from "node:path";
import type { Logger } from "pino";
import type { Chain } from "../chain/chain.js";
import type { ConfigSources } from "../config/load.js";
import type { Config } from "../config/schema.js";
import type { JobRecord } from "../jobs/job.js";
import { ConfigReloader } from "./config-reloader.js";
import { ConfigMapWatcher } from "./configmap-watcher.js";
import { ConfigDirWatcher } from "./dir-watcher.js";

/** The running config watch, for the status API and shutdown. */
export interface ConfigWatch {
  readonly reloader: ConfigReloader;
  close(): Promise<void>;
}

/**
 * Watches `configWatch.dir`, or with `configWatch.configmap` the ConfigMap itself (mirrored into
 * `<stateDir>/configmap`, whose `manager.yaml` then replaces the `--config` file as a source); undefined when neither
 * is set. Each settled change re-reads the configuration through the reloader.
 */
export async function createConfigWatch(
  config: Readonly<Config>,
  deps: {
    logger: Logger;
    chain: Chain;
    sources: ConfigSources;
    safelyReload: () => JobRecord;
    applyLive?: (config: Readonly<Config>) => void;
  },
): Promise<ConfigWatch | undefined> {
  const { configmap, namespace, debounce } = config.configWatch;
  if (config.configWatch.dir === undefined && configmap === undefined) return undefined;
  const dir = configmap === undefined ? (config.configWatch.dir as string) : join(config.stateDir, "configmap");
  const sources: ConfigSources = configmap === undefined ? deps.sources : { ...deps.sources, file: join(dir, "manager.yaml") };
  const reloader = new ConfigReloader({ sources, config }, deps);
  await reloader.start();
  const watcher = new ConfigDirWatcher({ dir, debounceMs: debounce }, deps);
  const kube =
    configmap === undefined
      ? undefined
      : new ConfigMapWatcher({ name: configmap, dir, ...(namespace === undefined ? {} : { namespace }) }, deps);
  if (kube !== undefined) {
    const { mkdir } = await import("node:fs/promises");
    await mkdir(dir, { recursive: true });
  }
  await watcher.start();
  watcher.on("change", (change) => {
    void reloader.reload(`changed: ${change.changed.join(", ")}`).catch((error: unknown) => {
      deps.logger.error({ err: error }, "configuration reload failed");
    });
  });
  await kube?.start();
  return {
    reloader,
    async close() {
      await kube?.close();
      await watcher.close();
    },
  };
}
