import { type ConfigTree, setPath } from "../config/tree.js";

/** Named flags of `run`, each the short form of one config path. */
export const RUN_FLAGS: ReadonlyArray<{ flag: string; path: string; help: string; boolean?: boolean; number?: boolean }> = [
  {
    flag: "bp-mode",
    path: "bp.enabled",
    help: "block-producer mode: start paused, signature providers from the blocksigner",
    boolean: true,
  },
  { flag: "producer-name", path: "bp.producerName", help: "our producer account" },
  { flag: "log-level", path: "log.level", help: "trace, debug, info, warn, error" },
  { flag: "data-dir", path: "node.dataDir", help: "the node's data directory" },
  { flag: "config-dir", path: "node.configDir", help: "where config.ini is generated" },
  { flag: "nodeos", path: "node.binary", help: "the node binary to run" },
  { flag: "api-listen", path: "api.listen", help: "operator API address, host:port" },
  { flag: "proxy-listen", path: "proxy.listen", help: "public proxy address, host:port" },
  { flag: "storage", path: "storage.url", help: "backup storage, file:///path or gs://bucket/prefix" },
  { flag: "state-dir", path: "stateDir", help: "where manageos keeps its own state" },
  { flag: "start-block-num", path: "mindreader.startBlockNum", help: "mindreader: first block to write", number: true },
  { flag: "stop-block-num", path: "mindreader.stopBlockNum", help: "mindreader: stop the node cleanly after this block", number: true },
  { flag: "configmap", path: "configWatch.configmap", help: "watch this Kubernetes ConfigMap for config changes" },
];

/** Turns parsed flag values into a config tree; absent flags add nothing. */
export function runFlagsToTree(values: Record<string, unknown>): ConfigTree {
  const tree: ConfigTree = {};
  for (const { flag, path } of RUN_FLAGS) {
    const value = values[camel(flag)];
    if (value !== undefined) setPath(tree, path.split("."), value);
  }
  return tree;
}

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
