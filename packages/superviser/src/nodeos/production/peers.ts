import type { Coordinator } from "@manageos/core";
import { PeerClient } from "./peer-client.js";

/** A peer manageos of our producer name, as its status answered. */
export interface PeerView {
  readonly api: string;
  readonly node: string | null;
  readonly running: boolean;
  readonly synced: boolean;
  /** nodeos' production flag; null when unknown. */
  readonly paused: boolean | null;
  /** Whether its signing fence signs (production resumed there through the safe resume); null when it does not say. */
  readonly signing: boolean | null;
  /** The public parts of its finalizer keys, as it publishes them. */
  readonly finalizerKeys: readonly string[];
}

/**
 * Whether a peer signs blocks of ours now. Its signing fence says it (nodeos cannot sign past it); a peer that does
 * not report its fence is judged by nodeos' production flag.
 */
export function signs(view: Pick<PeerView, "signing" | "paused">): boolean {
  return view.signing === true || (view.signing === null && view.paused === false);
}

/** Whether a peer surely does not sign: its fence is closed, or (without one) nodeos says production is paused. */
export function idle(view: Pick<PeerView, "signing" | "paused">): boolean {
  return view.signing === false || (view.signing === null && view.paused === true);
}

/** The operator APIs of our peers: the configured list, plus what the coordinator's nodes published; never ours. */
export async function peerApis(coordinator: Coordinator, configured: readonly string[], ownApi: string | null): Promise<string[]> {
  const apis = new Set(configured);
  if (coordinator.kind !== "local") {
    for (const peer of await coordinator.peers().catch(() => [])) {
      if (peer.node !== coordinator.nodeId && typeof peer.api === "string") apis.add(peer.api);
    }
  }
  if (ownApi !== null) apis.delete(ownApi);
  return [...apis];
}

/** Asks each peer for its status; a peer that does not answer, or is not in bp mode, is left out. */
export async function viewPeers(apis: readonly string[], token: string | undefined, ownNode: string): Promise<PeerView[]> {
  const views = await Promise.all(
    apis.map(async (api): Promise<PeerView | undefined> => {
      try {
        const status = await new PeerClient(api, token, 3_000).status();
        const production = status.production as
          | { paused?: unknown; node?: unknown; signing?: unknown; finalizerKeys?: unknown }
          | null
          | undefined;
        if (production === null || production === undefined) return undefined;
        const node = typeof production.node === "string" ? production.node : null;
        if (node === ownNode) return undefined;
        return {
          api,
          node,
          running: status.state === "running",
          synced: status.synced === true,
          paused: typeof production.paused === "boolean" ? production.paused : null,
          signing: typeof production.signing === "boolean" ? production.signing : null,
          finalizerKeys: publicKeysIn(production.finalizerKeys),
        };
      } catch {
        return undefined;
      }
    }),
  );
  return views.filter((v): v is PeerView => v !== undefined);
}

/**
 * Asks every peer we know (`configured` plus, with etcd, the nodes' published addresses) whether it produces: the
 * first that answers `paused: false` or that it signs, whether all of them answered that they are paused, and which
 * did not answer as a bp-mode peer.
 */
export async function producingPeer(
  coordinator: Coordinator,
  peers: { configured: readonly string[]; ownApi: string | null; token: string | undefined },
): Promise<{ producing: PeerView | undefined; allPaused: boolean; unreachable: string[] }> {
  const apis = await peerApis(coordinator, peers.configured, peers.ownApi);
  const views = await viewPeers(apis, peers.token, coordinator.nodeId);
  const answered = new Set(views.map((v) => v.api));
  return {
    producing: views.find(signs),
    // Every peer we know answered, and each is paused.
    allPaused: apis.length > 0 && views.length === apis.length && views.every(idle),
    unreachable: apis.filter((api) => !answered.has(api)),
  };
}

/** The strings of a published list of public keys; anything else counts as none. */
export function publicKeysIn(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((k): k is string => typeof k === "string") : [];
}
