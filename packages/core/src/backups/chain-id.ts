import type { Chain } from "../chain/chain.js";
import type { Store } from "../storage/store.js";

/** Where a chain id came from, for job logs. */
export interface ResolvedChainId {
  readonly chainId: string;
  readonly from: "config" | "node" | "storage";
}

/** Chain ids that have backups or snapshots in the store, sorted. */
export async function storedChainIds(store: Store): Promise<string[]> {
  const ids = new Set<string>();
  for (const prefix of ["backups/", "snapshots/"]) {
    for await (const object of store.list(prefix)) {
      const id = object.key.slice(prefix.length).split("/")[0];
      if (id !== undefined && id !== "" && object.key.length > prefix.length + id.length + 1) ids.add(id);
    }
  }
  return [...ids].sort();
}

/**
 * The chain to back up or restore: `backup.chainId`, else the one the node reports, else the
 * only chain in storage; undefined (with the reason) when none or several are stored.
 */
export async function resolveChainId(
  configured: string | undefined,
  chain: Chain,
  store: Store,
): Promise<ResolvedChainId | { readonly chainId: undefined; readonly reason: string }> {
  if (configured !== undefined) return { chainId: configured, from: "config" };
  const reported = chain.status().head?.chainId;
  if (reported !== undefined) return { chainId: reported, from: "node" };
  const stored = await storedChainIds(store);
  if (stored.length === 1) return { chainId: stored[0] as string, from: "storage" };
  return {
    chainId: undefined,
    reason:
      stored.length === 0 ? `no backup or snapshot in ${store.url}` : `${stored.length} chains in ${store.url} (${stored.join(", ")})`,
  };
}
