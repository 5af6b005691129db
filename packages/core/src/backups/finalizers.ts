import { lstat, readdir, rm } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import type { Backupable, Chain } from "../chain/chain.js";

/** The file in which Spring's finalizers keep their voting history (last vote, lock). */
export const SAFETY_FILE = "safety.dat";

/** What a restore must do when the node it restored has no safety file of its own. */
export const NEW_FINALIZER_KEY_ACTION = "activate a new finalizer key (actfinkey) before this node votes";

/** Where a node keeps its finalizer safety data, and what of its data dir a restore must carry over. */
export interface FinalizersLocation {
  /** Absolute path of the finalizers dir. */
  readonly dir: string;
  /**
   * `/`-separated paths inside the data dir that hold it (the finalizers dir, or `safety.dat` when the finalizers dir
   * is the data dir itself); empty when it lies outside the data dir, where a restore never goes.
   */
  readonly keep: readonly string[];
}

/** What a restore (or a start from a snapshot) left of the node's finalizer safety data. */
export interface FinalizerReport {
  /** The finalizers dir. */
  readonly dir: string;
  /** `kept`: the node's own safety file is there, as it was; `absent`: the node has none (none was restored). */
  readonly safetyFile: "kept" | "absent";
  /** What a person must do before this node votes, or null. */
  readonly action: string | null;
}

/**
 * The finalizers dir of a chain: what it reports (`finalizersDir()`), `<dataDir>/finalizers` for a nodeos chain
 * that does not say, undefined for chains without finalizers (geth).
 */
export async function finalizersOf(chain: Chain & Backupable): Promise<FinalizersLocation | undefined> {
  const reported = chain.finalizersDir === undefined ? undefined : await chain.finalizersDir();
  if (reported === undefined && chain.kind !== "nodeos") return undefined;
  return locateFinalizers(chain.dataDir, reported ?? "finalizers");
}

/** Locates a finalizers dir given absolute or relative to the data dir (as nodeos reads `finalizers-dir`). */
export function locateFinalizers(dataDir: string, dir: string): FinalizersLocation {
  const root = resolve(dataDir);
  const absolute = isAbsolute(dir) ? resolve(dir) : resolve(root, dir);
  const rel = relative(root, absolute);
  if (rel === "") return { dir: absolute, keep: [SAFETY_FILE] };
  const outside = rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel);
  return { dir: absolute, keep: outside ? [] : [rel.split(sep).join("/")] };
}

/** Whether the node's safety file is there; the action a person must take when it is not. */
export async function finalizerReport(location: FinalizersLocation): Promise<FinalizerReport> {
  const present = await lstat(join(location.dir, SAFETY_FILE)).then(
    () => true,
    () => false,
  );
  return present
    ? { dir: location.dir, safetyFile: "kept", action: null }
    : { dir: location.dir, safetyFile: "absent", action: NEW_FINALIZER_KEY_ACTION };
}

/** True when `path` (relative, `/`-separated) is `kept` or lies under it. */
export function isUnder(path: string, kept: string): boolean {
  return path === kept || path.startsWith(`${kept}/`);
}

/** Removes `path` (relative to `root`) and everything under it, except what `keep` names (and the dirs leading to it). */
export async function removeSparing(root: string, path: string, keep: readonly string[]): Promise<void> {
  if (keep.some((k) => isUnder(path, k))) return;
  if (!keep.some((k) => isUnder(k, path))) {
    await rm(join(root, path), { recursive: true, force: true });
    return;
  }
  const entries = await readdir(join(root, path)).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT" || error.code === "ENOTDIR") return undefined;
    throw error;
  });
  if (entries === undefined) {
    await rm(join(root, path), { recursive: true, force: true });
    return;
  }
  for (const entry of entries) await removeSparing(root, `${path}/${entry}`, keep);
}
