import { Etcd3, type Lease } from "etcd3";
import type { Logger } from "pino";
import type { AcquireResult, Coordinator, PeerStatus, ProducerClaim, PublishedStatus } from "./coordinator.js";

/** Where the cluster lives in etcd and how long a node's lease lasts. */
export interface EtcdCoordinatorOptions {
  readonly nodeId: string;
  readonly endpoints: readonly string[];
  /** Key prefix, such as `/manageos`. */
  readonly prefix: string;
  /** Lease time to live, ms (etcd counts whole seconds; at least 2 s). */
  readonly leaseTtl: number;
}

/**
 * The etcd coordinator: each node keeps one lease, renewed by hand so we know when the last renewal succeeded.
 * `<prefix>/nodes/<node>` (status) and `<prefix>/producers/<name>/holder` (the producer lease) live under it;
 * `<prefix>/producers/<name>/claim` records who resumed last and what it released.
 */
export class EtcdCoordinator implements Coordinator {
  readonly kind = "etcd" as const;
  readonly nodeId: string;
  readonly #opts: EtcdCoordinatorOptions;
  readonly #logger: Logger;
  readonly #client: Etcd3;
  readonly #now: () => number;
  readonly #ttlSeconds: number;
  readonly #held = new Set<string>();
  readonly #lostListeners: ((reason: string) => void)[] = [];
  #lease: Lease | undefined;
  #leaseId: string | undefined;
  #lastRenewed = 0;
  #renewTimer: NodeJS.Timeout | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  #renewing = false;
  #closed = false;
  #lastStatus: PublishedStatus | undefined;

  constructor(opts: EtcdCoordinatorOptions, deps: { logger: Logger; now?: () => number }) {
    this.#opts = opts;
    this.nodeId = opts.nodeId;
    this.#logger = deps.logger.child({ module: "coordinator", kind: "etcd" });
    this.#now = deps.now ?? Date.now;
    this.#ttlSeconds = Math.max(2, Math.ceil(opts.leaseTtl / 1000));
    const callDeadline = Math.max(500, Math.min(2_000, (this.#ttlSeconds * 1000) / 5));
    this.#client = new Etcd3({
      hosts: [...opts.endpoints],
      dialTimeout: callDeadline,
      defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + callDeadline }),
    });
  }

  /** Grants our lease (retrying until etcd answers) and starts renewing it. */
  async start(): Promise<void> {
    const ttlMs = this.#ttlSeconds * 1000;
    this.#renewTimer = setInterval(() => void this.#renew(), Math.max(100, ttlMs / 6));
    this.#renewTimer.unref();
    // Production must stop before the lease can expire and another node take it: half the TTL is the limit.
    this.#watchdog = setInterval(() => this.#check(), Math.max(25, Math.min(100, ttlMs / 40)));
    this.#watchdog.unref();
    await this.#renew();
  }

  async publish(status: PublishedStatus): Promise<void> {
    this.#lastStatus = status;
    const leaseId = this.#leaseId;
    if (leaseId === undefined) return;
    await this.#client
      .put(this.#key("nodes", this.nodeId))
      .value(JSON.stringify({ ...status, node: this.nodeId, at: this.#now() }))
      .lease(leaseId);
  }

  async peers(): Promise<PeerStatus[]> {
    const all = await this.#client.getAll().prefix(this.#key("nodes", "")).strings();
    const peers: PeerStatus[] = [];
    for (const value of Object.values(all)) {
      try {
        const parsed = JSON.parse(value) as PeerStatus;
        if (typeof parsed.node === "string") peers.push(parsed);
      } catch {
        // a value we did not write
      }
    }
    return peers.sort((a, b) => a.node.localeCompare(b.node));
  }

  async acquire(producer: string): Promise<AcquireResult> {
    const leaseId = this.#leaseId;
    if (leaseId === undefined || !this.#fresh()) throw new Error("our etcd lease is not live");
    const key = this.#key("producers", producer, "holder");
    const result = await this.#client
      .if(key, "Create", "==", 0)
      .then(this.#client.put(key).value(this.nodeId).lease(leaseId))
      .else(this.#client.get(key))
      .commit();
    if (result.succeeded) {
      this.#held.add(producer);
      return { acquired: true };
    }
    const holder = result.responses[0]?.response_range?.kvs?.[0]?.value?.toString() ?? "unknown";
    if (holder === this.nodeId) {
      this.#held.add(producer);
      return { acquired: true };
    }
    return { acquired: false, holder };
  }

  holds(producer: string): boolean {
    return this.#held.has(producer) && this.#fresh();
  }

  async holder(producer: string): Promise<string | undefined> {
    return (await this.#client.get(this.#key("producers", producer, "holder")).string()) ?? undefined;
  }

  async claim(producer: string): Promise<void> {
    const claim: ProducerClaim = { node: this.nodeId, at: this.#now() };
    await this.#client.put(this.#key("producers", producer, "claim")).value(JSON.stringify(claim));
  }

  async release(producer: string, info?: { lastProduced: number | null }): Promise<void> {
    this.#held.delete(producer);
    const holderKey = this.#key("producers", producer, "holder");
    if (info !== undefined) {
      const previous = await this.lastClaim(producer);
      const claim: ProducerClaim = {
        node: this.nodeId,
        at: previous?.node === this.nodeId ? previous.at : this.#now(),
        released: { at: this.#now(), lastProduced: info.lastProduced },
      };
      await this.#client.put(this.#key("producers", producer, "claim")).value(JSON.stringify(claim));
    }
    await this.#client.if(holderKey, "Value", "==", this.nodeId).then(this.#client.delete().key(holderKey)).commit();
  }

  async lastClaim(producer: string): Promise<ProducerClaim | undefined> {
    const value = await this.#client.get(this.#key("producers", producer, "claim")).string();
    if (value === null) return undefined;
    try {
      return JSON.parse(value) as ProducerClaim;
    } catch {
      return undefined;
    }
  }

  onLeaseLost(listener: (reason: string) => void): void {
    this.#lostListeners.push(listener);
  }

  /** Stops renewing and revokes our lease, which frees the producer lease at once. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#renewTimer);
    clearInterval(this.#watchdog);
    this.#held.clear();
    try {
      await this.#lease?.revoke({ deadline: Date.now() + 2_000 });
    } catch (error) {
      this.#logger.warn({ err: error }, "could not revoke the etcd lease; it will expire");
    }
    this.#client.close();
  }

  // One renewal, or a new lease when we have none or etcd says ours expired.
  async #renew(): Promise<void> {
    if (this.#renewing || this.#closed) return;
    this.#renewing = true;
    const started = this.#now();
    try {
      if (this.#lease === undefined || this.#leaseId === undefined) {
        const lease = this.#client.lease(this.#ttlSeconds, { autoKeepAlive: false });
        lease.on("lost", () => undefined);
        this.#leaseId = await lease.grant();
        this.#lease = lease;
        this.#logger.info({ lease: this.#leaseId, ttlSeconds: this.#ttlSeconds }, "etcd lease granted");
      } else {
        await this.#lease.keepaliveOnce({ deadline: Date.now() + (this.#ttlSeconds * 1000) / 4 });
      }
      // Count from when the renewal was sent: etcd restarted the TTL no earlier than that.
      this.#lastRenewed = started;
      if (this.#lastStatus !== undefined) await this.publish(this.#lastStatus).catch(() => undefined);
    } catch (error) {
      const expired = (error as Error).name === "EtcdLeaseInvalidError";
      this.#logger.warn({ err: error, expired }, "etcd lease renewal failed");
      if (expired) {
        this.#lease = undefined;
        this.#leaseId = undefined;
        this.#held.clear();
      }
    } finally {
      this.#renewing = false;
    }
  }

  #fresh(): boolean {
    return this.#now() - this.#lastRenewed < (this.#ttlSeconds * 1000) / 2;
  }

  #check(): void {
    if (this.#held.size === 0 || this.#fresh()) return;
    const reason = `no etcd lease renewal for ${this.#now() - this.#lastRenewed} ms (half the TTL is ${(this.#ttlSeconds * 1000) / 2} ms)`;
    this.#held.clear();
    for (const listener of this.#lostListeners) listener(reason);
  }

  #key(...parts: string[]): string {
    return [this.#opts.prefix.replace(/\/+$/, ""), ...parts].join("/");
  }
}
