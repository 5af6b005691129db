import { createRequire } from "node:module";
import { Etcd3, EtcdLeaseInvalidError, type IOptions, isRecoverableError, type Lease } from "etcd3";
import type { Logger } from "pino";
import type { AcquireResult, Coordinator, PeerStatus, ProducerClaim, PublishedStatus } from "./coordinator.js";

type HostPolicy = ReturnType<NonNullable<NonNullable<IOptions["faultHandling"]>["host"]>>;

// The parts of cockatiel we use to configure etcd3's fault handling.
interface Cockatiel {
  circuitBreaker(policy: unknown, opts: { halfOpenAfter: number; breaker: unknown }): HostPolicy;
  handleWhen(predicate: (error: Error) => boolean): unknown;
  ConsecutiveBreaker: new (threshold: number) => unknown;
}

// etcd3's own copy, so that the errors its policies throw are the ones etcd3 recognises.
const cockatiel = createRequire(createRequire(import.meta.url).resolve("etcd3"))("cockatiel") as Cockatiel;

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
 * When etcd says the lease is gone (it expired while we could not reach etcd), a new one is granted and our
 * status re-published on it; the producer lease is not held again until `acquire()` succeeds.
 */
export class EtcdCoordinator implements Coordinator {
  readonly kind = "etcd" as const;
  readonly nodeId: string;
  readonly #opts: EtcdCoordinatorOptions;
  readonly #logger: Logger;
  readonly #client: Etcd3;
  readonly #now: () => number;
  readonly #ttlSeconds: number;
  readonly #renewEvery: number;
  readonly #held = new Set<string>();
  readonly #lostListeners: ((reason: string) => void)[] = [];
  readonly #regainedListeners: (() => void)[] = [];
  #lease: Lease | undefined;
  #leaseId: string | undefined;
  // The lease etcd said expired, until its successor is granted (for the log line).
  #previousLeaseId: string | undefined;
  #lastRenewed = 0;
  #renewTimer: NodeJS.Timeout | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  #renewing = false;
  // Set when the watchdog found the lease stale or etcd said it expired; cleared by the next renewal.
  #stale = false;
  #failures = 0;
  #closed = false;
  #lastStatus: PublishedStatus | undefined;

  constructor(opts: EtcdCoordinatorOptions, deps: { logger: Logger; now?: () => number }) {
    this.#opts = opts;
    this.nodeId = opts.nodeId;
    this.#logger = deps.logger.child({ module: "coordinator", kind: "etcd" });
    this.#now = deps.now ?? Date.now;
    this.#ttlSeconds = Math.max(2, Math.ceil(opts.leaseTtl / 1000));
    this.#renewEvery = Math.max(100, (this.#ttlSeconds * 1000) / 6);
    const callDeadline = Math.max(500, Math.min(2_000, (this.#ttlSeconds * 1000) / 5));
    this.#client = new Etcd3({
      hosts: [...opts.endpoints],
      dialTimeout: callDeadline,
      defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + callDeadline }),
      faultHandling: {
        // etcd3's default breaker refuses every call for 5 s after one failed call (it counts the retries), longer
        // than a lease can wait once etcd is back: let the next renewal try the host again.
        host: () =>
          cockatiel.circuitBreaker(cockatiel.handleWhen(isRecoverableError), {
            halfOpenAfter: this.#renewEvery / 2,
            breaker: new cockatiel.ConsecutiveBreaker(3),
          }),
      },
    });
  }

  /** Grants our lease (retrying until etcd answers) and starts renewing it. */
  async start(): Promise<void> {
    const ttlMs = this.#ttlSeconds * 1000;
    this.#renewTimer = setInterval(() => void this.#renew(), this.#renewEvery);
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
    const kv = result.responses[0]?.response_range?.kvs?.[0];
    const holder = kv?.value?.toString() ?? "unknown";
    if (holder !== this.nodeId) return { acquired: false, holder };
    // Ours by name, but maybe on a lease we no longer renew (granted before a restart): move it onto ours, or it
    // vanishes when that lease expires and another node takes the producer while we still think we hold it.
    if (kv?.lease !== leaseId) {
      const moved = await this.#client
        .if(key, "Value", "==", this.nodeId)
        .and(key, "Lease", "==", kv?.lease ?? "0")
        .then(this.#client.put(key).value(this.nodeId).lease(leaseId))
        .commit();
      if (!moved.succeeded) return { acquired: false, holder: (await this.holder(producer)) ?? "unknown" };
    }
    this.#held.add(producer);
    return { acquired: true };
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

  onLeaseRegained(listener: () => void): void {
    this.#regainedListeners.push(listener);
  }

  /** The id of our etcd lease (decimal), undefined while we have none. */
  get leaseId(): string | undefined {
    return this.#leaseId;
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
      if (this.#lease === undefined) {
        await this.#grant();
      } else {
        try {
          await this.#lease.keepaliveOnce({ deadline: Date.now() + (this.#ttlSeconds * 1000) / 4 });
        } catch (error) {
          if (!(error instanceof EtcdLeaseInvalidError) || this.#closed) throw error;
          this.#expired(error);
          await this.#grant();
        }
      }
      // Count from when the renewal was sent: etcd restarted the TTL no earlier than that.
      this.#lastRenewed = started;
      if (this.#failures > 0) this.#logger.warn({ failures: this.#failures, lease: this.#leaseId }, "etcd lease renewed again");
      this.#failures = 0;
      if (this.#stale && this.#fresh()) {
        this.#stale = false;
        for (const listener of this.#regainedListeners) listener();
      }
      if (this.#lastStatus !== undefined) await this.publish(this.#lastStatus).catch(() => undefined);
    } catch (error) {
      if (this.#closed) return;
      this.#failures++;
      // The first failure of an outage is worth a warning; the rest recur every renewal interval.
      const level = this.#failures === 1 ? "warn" : "debug";
      this.#logger[level]({ err: error, failures: this.#failures, lease: this.#leaseId }, "etcd lease renewal failed");
    } finally {
      this.#renewing = false;
    }
  }

  // Grants a new lease and makes it ours (a failed grant leaves us without one: the next renewal tries again).
  async #grant(): Promise<void> {
    const previous = this.#previousLeaseId;
    const lease = this.#client.lease(this.#ttlSeconds, { autoKeepAlive: false });
    // etcd3 emits "lost" on a failed grant or keepalive; we learn the same from the rejection.
    lease.on("lost", () => undefined);
    const leaseId = await lease.grant();
    if (this.#closed) {
      // close() ran while the grant was on its way: nobody would renew or revoke this one.
      await lease.revoke().catch(() => undefined);
      throw new Error("closed while an etcd lease was being granted");
    }
    this.#lease = lease;
    this.#leaseId = leaseId;
    this.#previousLeaseId = undefined;
    if (previous === undefined) this.#logger.info({ lease: leaseId, ttlSeconds: this.#ttlSeconds }, "etcd lease granted");
    else this.#logger.warn({ lease: leaseId, previous, ttlSeconds: this.#ttlSeconds }, "etcd lease expired; a new lease was granted");
  }

  // etcd no longer knows our lease: its keys (our status, the producer lease) are gone with it.
  #expired(error: EtcdLeaseInvalidError): void {
    this.#previousLeaseId = this.#leaseId;
    this.#lease?.release();
    this.#lease = undefined;
    this.#leaseId = undefined;
    this.#lost(`etcd lease ${this.#previousLeaseId} expired (${error.message})`);
  }

  #fresh(): boolean {
    return this.#now() - this.#lastRenewed < (this.#ttlSeconds * 1000) / 2;
  }

  #check(): void {
    if (this.#fresh() || this.#lastRenewed === 0) return;
    this.#lost(`no etcd lease renewal for ${this.#now() - this.#lastRenewed} ms (half the TTL is ${(this.#ttlSeconds * 1000) / 2} ms)`);
  }

  // Our lease may be gone: the producer lease is no longer ours, and whoever produces must stop.
  #lost(reason: string): void {
    this.#stale = true;
    if (this.#held.size === 0) return;
    this.#held.clear();
    for (const listener of this.#lostListeners) listener(reason);
  }

  #key(...parts: string[]): string {
    return [this.#opts.prefix.replace(/\/+$/, ""), ...parts].join("/");
  }
}
