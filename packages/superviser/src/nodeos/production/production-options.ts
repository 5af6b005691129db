import type { JobContext } from "@manageos/core";

/** Settings of block-producer mode, from `bp.*` and `node.*`. */
export interface ProductionOptions {
  readonly producerName: string;
  readonly blockInterval: number;
  readonly roundLength: number;
  /** Another node's block or claim this recent forbids resuming. */
  readonly claimWindow: number;
  /** Longest wait for the end of our round before pausing anyway. */
  readonly pauseTimeout: number;
  /** How often the active schedule is read again. */
  readonly scheduleInterval?: number;
  /** Bearer token for peers' APIs (the cluster shares one). */
  readonly peerToken?: string;
  /** How often our status is published to the coordinator. */
  readonly publishInterval?: number;
  /** Takeover after reboot: once synced, ask the producer to hand production to us. */
  readonly takeover?: boolean;
  /** What a producer does before a restart: hand production to a peer, or pause at the end of its round. */
  readonly reloadPolicy?: "handoff" | "wait-round";
  /** Operator APIs of the other manageos of our producer name (besides those the coordinator knows). */
  readonly peers?: readonly string[];
  /** Spring: who runs eosio::actfinkey when production moves here (the permission, and a file with its key). */
  readonly finality?: { readonly permission: string; readonly keyFile?: string };
  /** The signing fence nodeos signs through; without it nodeos signs at the blocksigner directly (tests only). */
  readonly signing?: {
    /** Loopback `host:port` of the fence. */
    readonly listen: string;
    /** The blocksigner's base URL. */
    readonly blocksigner: string;
    /** nodeos' `keosd-provider-timeout`, ms: how long it waits for a signature. */
    readonly timeoutMs: number;
  };
}

/** The options a configuration reload may change while running; `blocksigner` applies from the next stop of nodeos on. */
export type LiveProductionOptions = Pick<ProductionOptions, "claimWindow" | "pauseTimeout" | "takeover" | "reloadPolicy" | "peers"> & {
  readonly blocksigner?: string;
};

/** How a resume may account for blocks of ours produced elsewhere: the node that paused says its last block. */
export interface ResumeOptions {
  /** Blocks of ours up to this number were produced by a node that has since confirmed it is paused. */
  readonly releasedThrough?: number;
  /** Checked just before resuming and just after: false stops the resume, or pauses again (production was paused meanwhile). */
  readonly onlyIf?: () => boolean;
  /** The checks after a start (`findOtherProducer`) just ran: the peers were asked and a rotation watched. */
  readonly othersChecked?: boolean;
  /** A person's override: peers that do not answer do not block the resume (the job log says which were skipped). */
  readonly skipUnreachablePeers?: boolean;
  /** Where the job log goes (the override is recorded there). */
  readonly log?: (message: string, level?: "info" | "warn" | "error") => void;
}

/** What the double-production guard last did on this node. */
export interface GuardReport {
  readonly at: number;
  readonly reason: string;
  /** `produced-elsewhere`: a block of ours came from another node; `peer-producing`: a peer says it signs too. */
  readonly trip: "produced-elsewhere" | "peer-producing";
  readonly block?: number;
  readonly peer?: string;
  readonly action: "paused" | "pause-failed";
}

/** What a safe pause reports. */
export interface PauseResult {
  readonly paused: true;
  readonly waitedForRound: boolean;
  readonly timedOut: boolean;
  readonly waitedMs: number;
  readonly lastProduced: number | null;
}

/** The job context a production step reports to. */
export type StepContext = Pick<JobContext, "signal" | "progress">;
