import type { Config } from "../config/schema.js";

/** What a configuration change needs: nothing, a new setting in place, a node restart, or a manageos restart. */
export interface ReloadPlan {
  /** Applied at once, no restart: production's timing and policy settings. */
  readonly live: readonly string[];
  /** Applied by regenerating config.ini and restarting the node (rolling, never during our round). */
  readonly restart: readonly string[];
  /** Read only when manageos starts: logged, not applied. */
  readonly needsManageosRestart: readonly string[];
}

/** Settings production reads at every decision. */
export const LIVE_PATHS: readonly string[] = ["bp.claimWindow", "bp.pauseTimeout", "bp.takeover", "bp.reloadPolicy", "bp.peers"];

/** Settings that only shape how nodeos starts: config.ini, its arguments and environment, the blocksigner's keys. */
export const RESTART_PATHS: readonly string[] = [
  "node.configTemplate",
  "node.configKeys",
  "node.extraArgs",
  "node.env",
  "node.genesisJson",
  "node.binary",
  "node.release",
  "bp.blocksigner",
  "bp.finalizerKeys",
];

/** Sorts the paths that differ between two configurations by what applying them takes. */
export function planReload(before: Readonly<Config>, after: Readonly<Config>, templateChanged = false): ReloadPlan {
  const live: string[] = [];
  const restart: string[] = templateChanged ? ["node.configTemplate (content)"] : [];
  const needsManageosRestart: string[] = [];
  const a = leaves(before);
  const b = leaves(after);
  for (const path of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    if (a.get(path) === b.get(path)) continue;
    if (under(path, LIVE_PATHS)) live.push(path);
    else if (under(path, RESTART_PATHS)) restart.push(path);
    else needsManageosRestart.push(path);
  }
  return { live, restart, needsManageosRestart };
}

function under(path: string, roots: readonly string[]): boolean {
  return roots.some((root) => path === root || path.startsWith(`${root}.`));
}

// `{a: {b: 1}}` -> {"a.b" => "1"}; arrays are one leaf each, compared as JSON.
function leaves(value: unknown, prefix = "", out = new Map<string, string>()): Map<string, string> {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) leaves(inner, prefix === "" ? key : `${prefix}.${key}`, out);
    return out;
  }
  out.set(prefix, JSON.stringify(value) ?? "undefined");
  return out;
}
