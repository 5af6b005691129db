import type { ExitResult } from "./types.js";

/** Where a supervised node is in its life. */
export type ChainState = "stopped" | "starting" | "running" | "stopping" | "backoff" | "crash-loop" | "failed";

/** Which kind of node a Chain drives. */
export type ChainKind = "nodeos" | "geth";

/** One block seen in the node's logs (a block nodeos received or produced) or its RPC (geth). */
export interface BlockEvent {
  readonly num: number;
  /** The id as printed: 16 hex chars of a nodeos id, or a full geth hash. */
  readonly idPrefix: string;
  readonly producer: string;
  /** ISO 8601 UTC, with `Z`. */
  readonly time: string;
  readonly lib: number | undefined;
  readonly kind: "produced" | "received";
  readonly trxs?: number;
  readonly confirmed?: number;
}

/** Why the node's data is thought to be dirty, and from where we learnt it. */
export interface DirtyEvent {
  readonly source: "offline" | "log" | "exit-code";
  readonly dataDir: string;
  readonly detail: string;
}

/** What the node's own API last said about its head. */
export interface HeadInfo {
  readonly headBlockNum: number;
  readonly headBlockId?: string;
  /** ISO 8601 UTC, with `Z`. */
  readonly headBlockTime?: string;
  readonly libNum?: number;
  readonly chainId?: string;
  readonly serverVersion?: string;
  /** Milliseconds since the epoch when this was read. */
  readonly observedAt: number;
}

/** How a chain is started. */
export interface ChainStartOptions {
  /** Replay from blocks.log (`soft`) or from the blocks alone, wiping state (`hard`). */
  readonly replay?: "soft" | "hard";
  /** A snapshot file to start from (nodeos). */
  readonly snapshot?: string;
}

/** A point-in-time view of a chain for the status API. */
export interface ChainStatus {
  readonly kind: ChainKind;
  readonly state: ChainState;
  readonly pid: number | undefined;
  readonly restarts: number;
  readonly crashLoop: boolean;
  readonly dirty: boolean;
  readonly head: HeadInfo | undefined;
  readonly lastBlock: BlockEvent | undefined;
  readonly lastExit: ExitResult | undefined;
  /** Milliseconds since the current child started; undefined when none runs. */
  readonly uptimeMs: number | undefined;
}

/**
 * Events a Chain emits, as EventEmitter argument tuples. `exit` comes once the exit was examined
 * (dirty checks), so it can follow the `state` change to `stopped`/`failed`/`backoff`.
 */
export interface ChainEventMap {
  state: [next: ChainState, previous: ChainState];
  block: [block: BlockEvent];
  dirty: [event: DirtyEvent];
  exit: [result: ExitResult];
  head: [head: HeadInfo];
  /** Spring: a local finalizer's vote is missing from a block's QC (`Local finalizer <f> did not vote in block <n>`). */
  "vote-missed": [missed: { readonly finalizer: string; readonly block: number }];
}

/** A node the operator drives: the seam between core and the superviser package. */
export interface Chain {
  readonly kind: ChainKind;
  /** Starts the node; resolves once the child runs. Rejects with a coded error (dirty data, spawn failure). */
  start(options?: ChainStartOptions): Promise<void>;
  /** Stops the node (TERM, repeated, KILL as a last resort); undefined when nothing was running. */
  stop(): Promise<ExitResult | undefined>;
  /** Stops then starts. */
  restart(options?: ChainStartOptions): Promise<void>;
  status(): ChainStatus;
  /** The last lines the child printed, oldest first, for error reports. */
  lastLines(): readonly string[];
  /** Where the node's own API answers now; undefined until it listens when its port is chosen at start (port 0). */
  apiUrl?(): string | undefined;
  on<E extends keyof ChainEventMap>(event: E, listener: (...args: ChainEventMap[E]) => void): this;
  off<E extends keyof ChainEventMap>(event: E, listener: (...args: ChainEventMap[E]) => void): this;
  /** Stops the node and every poller; the Chain is unusable afterwards. */
  close(): Promise<void>;
}

/** What nodeos' producer API answers to create_snapshot. */
export interface SnapshotInfo {
  readonly headBlockId: string;
  readonly headBlockNum: number;
  readonly headBlockTime: string;
  readonly version: number;
  readonly snapshotName: string;
}

/** A chain that can pause and resume block production. */
export interface Producer {
  /**
   * Pauses production; from then on the node is not meant to produce until resumed, unless `keepWanted` (the guard
   * paused it for a lost lease: production comes back by itself once the lease is live again and nobody else produced).
   */
  pauseProduction(options?: { keepWanted?: boolean }): Promise<void>;
  /** Resumes production; from then on the node is meant to produce until paused. */
  resumeProduction(): Promise<void>;
  isProductionPaused(): Promise<boolean>;
  /** Whether this node is meant to produce: the designated producer host at first, then as the last pause or resume left it. */
  wantsProduction(): boolean;
  /** From the next start on, sign blocks through the signing fence at `signUrl`, waiting for it at most `timeoutMs`. */
  useSigningFence?(signUrl: string, timeoutMs: number): void;
  /** The public parts of this node's finalizer keys (Spring); none when it has none. */
  finalizerPublicKeys?(): Promise<string[]>;
  /** From the next start on, leaves these finalizer keys out (another node of ours holds them). */
  refuseFinalizerKeys?(publicKeys: readonly string[]): void;
}

/** A chain that can write a state snapshot while running. */
export interface Snapshotable {
  createSnapshot(): Promise<SnapshotInfo>;
}

/** A chain whose data directory can be backed up while it is stopped. */
export interface Backupable {
  /** The directory to back up and restore. */
  readonly dataDir: string;
  /** Paths relative to dataDir worth backing up (e.g. `blocks`, `state`). */
  backupPaths(): readonly string[];
  /** True when the data on disk is marked dirty (checked offline). */
  isDataDirty(): Promise<boolean>;
  /**
   * get_info asked now, not the last poll's answer; undefined when the node does not answer. A backup asks it just
   * before it stops the node, so that the head it records is at least any head a client saw before.
   */
  headNow?(): Promise<HeadInfo | undefined>;
  /**
   * Where the node keeps its finalizer safety data (nodeos Spring: `finalizers-dir`, `safety.dat`), as an absolute
   * path. A backup records it; no restore ever writes it. A nodeos chain without this method keeps `<dataDir>/finalizers`.
   */
  finalizersDir?(): Promise<string>;
}

/** True when the chain can pause and resume production. */
export function isProducer(chain: Chain): chain is Chain & Producer {
  const c = chain as Chain & Partial<Producer>;
  return typeof c.pauseProduction === "function" && typeof c.resumeProduction === "function";
}

/** True when the chain can take snapshots. */
export function isSnapshotable(chain: Chain): chain is Chain & Snapshotable {
  return typeof (chain as Chain & Partial<Snapshotable>).createSnapshot === "function";
}

/** True when the chain's data directory can be backed up. */
export function isBackupable(chain: Chain): chain is Chain & Backupable {
  const c = chain as Chain & Partial<Backupable>;
  return typeof c.dataDir === "string" && typeof c.backupPaths === "function";
}
