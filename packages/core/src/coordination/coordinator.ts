/** What a node last published about itself. */
export interface PeerStatus {
  readonly node: string;
  readonly api: string | null;
  readonly at: number;
  readonly [key: string]: unknown;
}

/** What a node publishes: its API address and anything the status page should show. */
export interface PublishedStatus {
  readonly api: string | null;
  readonly [key: string]: unknown;
}

/** The last claim on a producer name: who resumed production, and whether it handed it back. */
export interface ProducerClaim {
  readonly node: string;
  /** ms since the epoch when the claim was made. */
  readonly at: number;
  /** Set once the claimant paused safely: when, and the last block it produced. */
  readonly released?: { readonly at: number; readonly lastProduced: number | null };
}

/** The answer to acquiring the producer lease. */
export type AcquireResult = { readonly acquired: true } | { readonly acquired: false; readonly holder: string };

/** Shares who produces between the nodes of one producer: `local` (one node) or `etcd` (a cluster). */
export interface Coordinator {
  readonly kind: "local" | "etcd";
  /** This node's id in the cluster. */
  readonly nodeId: string;
  /** Connects, and starts publishing and renewing. */
  start(): Promise<void>;
  /** Publishes our status (kept only while our lease lives). */
  publish(status: PublishedStatus): Promise<void>;
  /** Every node's last published status, ours included. */
  peers(): Promise<PeerStatus[]>;
  /** Takes the producer lease for `producer` unless another node holds it. */
  acquire(producer: string): Promise<AcquireResult>;
  /** True while we hold the producer lease and it was renewed in time. */
  holds(producer: string): boolean;
  /** The current holder of the producer lease, if any. */
  holder(producer: string): Promise<string | undefined>;
  /** Records our claim on `producer` (we are about to resume). */
  claim(producer: string): Promise<void>;
  /** Gives the lease up; with `info`, also marks our claim released (we paused safely, this was our last block). */
  release(producer: string, info?: { lastProduced: number | null }): Promise<void>;
  /** The last claim on `producer`. */
  lastClaim(producer: string): Promise<ProducerClaim | undefined>;
  /** Called when we may no longer rely on holding the lease (renewal late or lost): production must stop at once. */
  onLeaseLost(listener: (reason: string) => void): void;
  /** Called when our lease is live again after it was lost (renewed, or a new one granted): `acquire()` can succeed again. */
  onLeaseRegained?(listener: () => void): void;
  close(): Promise<void>;
}
