import { Etcd3 } from "etcd3";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { EtcdCoordinator } from "../src/coordination/etcd-coordinator.js";
import { type EtcdServer, startEtcdServer } from "./support/etcd-server.js";
import { startTcpForwarder, type TcpForwarder } from "./support/tcp-forwarder.js";

// etcd counts whole seconds; 3 s leaves the renewals (every 500 ms, 750 ms deadline) room on a busy machine.
const TTL = 3_000;
// How late a timer may fire on a loaded 2-core machine.
const SLACK = 750;
const PREFIX = "/coordinator-test";
const PRODUCER = "bp.a";

/** One log line as the coordinator wrote it. */
interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

// Things to undo after each test, last first.
const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

async function etcdServer(): Promise<EtcdServer> {
  const server = await startEtcdServer();
  cleanups.push(() => server.destroy());
  return server;
}

async function forwarder(to: EtcdServer): Promise<TcpForwarder> {
  const fwd = await startTcpForwarder(to.url);
  cleanups.push(() => fwd.close());
  return fwd;
}

// A plain etcd client to look at what the coordinator left in etcd.
function observer(server: EtcdServer): Etcd3 {
  const client = new Etcd3({ hosts: [server.url], defaultCallOptions: (c) => (c.isStream ? {} : { deadline: Date.now() + 2_000 }) });
  cleanups.push(async () => client.close());
  return client;
}

/** A started coordinator, the lines it logged, and when its lease-lost and regained listeners fired. */
interface Node {
  readonly coordinator: EtcdCoordinator;
  readonly logs: LogLine[];
  readonly lost: { at: number; reason: string }[];
  readonly regained: number[];
}

async function node(nodeId: string, endpoint: string): Promise<Node> {
  const logs: LogLine[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) });
  const coordinator = new EtcdCoordinator({ nodeId, endpoints: [endpoint], prefix: PREFIX, leaseTtl: TTL }, { logger });
  const lost: Node["lost"] = [];
  const regained: number[] = [];
  coordinator.onLeaseLost((reason) => lost.push({ at: Date.now(), reason }));
  coordinator.onLeaseRegained((): void => void regained.push(Date.now()));
  cleanups.push(() => coordinator.close());
  await coordinator.start();
  await coordinator.publish({ api: `http://${nodeId}.test` });
  return { coordinator, logs, lost, regained };
}

/** Polls `probe` until it returns something other than undefined; fails after `timeoutMs`. */
async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

// The remaining TTL etcd gives a lease, in seconds; -1 once etcd no longer knows it.
async function remainingTtl(client: Etcd3, leaseId: string): Promise<number> {
  return Number((await client.leaseClient.leaseTimeToLive({ ID: leaseId })).TTL);
}

// Waits until etcd itself has dropped the lease (it expired there).
function expiredInEtcd(client: Etcd3, leaseId: string): Promise<true> {
  return until(`etcd to expire lease ${leaseId}`, async () => ((await remainingTtl(client, leaseId)) < 0 ? true : undefined), TTL * 4);
}

// The lease our status key is attached to, undefined while the key is absent.
async function statusLease(client: Etcd3, nodeId: string): Promise<string | undefined> {
  const response = await client.get(`${PREFIX}/nodes/${nodeId}`).exec();
  return response.kvs[0]?.lease;
}

// Waits until a renewal after `since` re-published our status (every renewal does), within `withinMs` of `since`.
async function renewedSince(client: Etcd3, nodeId: string, since: number, withinMs: number): Promise<void> {
  await until(
    `a renewal within ${withinMs} ms`,
    async () => {
      const status = (await client.get(`${PREFIX}/nodes/${nodeId}`).json()) as { at?: number } | null;
      return status?.at !== undefined && status.at >= since ? true : undefined;
    },
    TTL * 4,
  );
  expect(Date.now() - since).toBeLessThan(withinMs + SLACK);
}

function leaseOf(n: Node): string {
  const id = n.coordinator.leaseId;
  if (id === undefined) throw new Error("no lease");
  return id;
}

const warned = (n: Node, msg: string): LogLine[] => n.logs.filter((l) => l.level === 40 && l.msg === msg);
const NEW_LEASE = "etcd lease expired; a new lease was granted";

// After the lease etcd dropped: lost was reported, a new lease is live with our status on it, and the producer
// lease is ours again only once acquired.
async function expectRecovered(n: Node, client: Etcd3, oldLease: string): Promise<void> {
  const nodeId = n.coordinator.nodeId;
  const newLease = await until(
    "our status on a new lease",
    async () => {
      const lease = n.coordinator.leaseId;
      return lease !== undefined && lease !== oldLease && (await statusLease(client, nodeId)) === lease ? lease : undefined;
    },
    TTL * 4,
  );
  expect(await remainingTtl(client, newLease)).toBeGreaterThan(0);
  expect(warned(n, NEW_LEASE)).toEqual([expect.objectContaining({ lease: newLease, previous: oldLease })]);
  await until("the lease-regained listener", () => (n.regained.length > 0 ? true : undefined), TTL);
  expect(n.coordinator.holds(PRODUCER)).toBe(false);
  expect(await n.coordinator.acquire(PRODUCER)).toEqual({ acquired: true });
  expect(n.coordinator.holds(PRODUCER)).toBe(true);
  expect(await n.coordinator.holder(PRODUCER)).toBe(n.coordinator.nodeId);
}

describe("etcd coordinator lease recovery", () => {
  it("reports the lease lost during a partition longer than the TTL, then takes a new lease and can acquire again", async () => {
    const etcd = await etcdServer();
    const fwd = await forwarder(etcd);
    const client = observer(etcd);
    const a = await node("node-a", `http://${fwd.address}`);
    expect(await a.coordinator.acquire(PRODUCER)).toEqual({ acquired: true });
    const oldLease = leaseOf(a);

    await fwd.cut("drop");
    const cutAt = Date.now();
    await until("the lease-lost listener", () => a.lost[0], TTL);
    expect(a.lost).toHaveLength(1);
    expect(a.lost[0]?.at).toBeLessThan(cutAt + TTL / 2 + SLACK);
    expect(a.coordinator.holds(PRODUCER)).toBe(false);
    await expect(a.coordinator.acquire(PRODUCER)).rejects.toThrow(/not live/);
    await expiredInEtcd(client, oldLease);
    expect(await client.get(`${PREFIX}/producers/${PRODUCER}/holder`).string()).toBeNull();

    await fwd.restore();
    await expectRecovered(a, client, oldLease);
    expect(a.lost).toHaveLength(1);
  });

  it("takes a new lease when etcd, restarted with the same data dir after longer than the TTL, has expired ours", async () => {
    const etcd = await etcdServer();
    const fwd = await forwarder(etcd);
    const client = observer(etcd);
    const a = await node("node-a", `http://${fwd.address}`);
    expect(await a.coordinator.acquire(PRODUCER)).toEqual({ acquired: true });
    const oldLease = leaseOf(a);

    await etcd.stop();
    const stoppedAt = Date.now();
    await until("the lease-lost listener", () => a.lost[0], TTL);
    // Nothing to await while etcd is down: the outage itself must outlast the TTL.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, stoppedAt + TTL + SLACK - Date.now())));
    // A restarted etcd gives every lease it kept a fresh TTL; hold the node off until that one has run out too,
    // so that what it hears back is "lease not found".
    await fwd.cut("drop");
    await etcd.start();
    await expiredInEtcd(client, oldLease);
    await fwd.restore();
    await expectRecovered(a, client, oldLease);
  });

  it("is live again once etcd, down for longer than the TTL, restarts with the same data dir", async () => {
    const etcd = await etcdServer();
    const client = observer(etcd);
    const a = await node("node-a", etcd.url);
    expect(await a.coordinator.acquire(PRODUCER)).toEqual({ acquired: true });

    await etcd.stop();
    const stoppedAt = Date.now();
    await until("the lease-lost listener", () => a.lost[0], TTL);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, stoppedAt + TTL + SLACK - Date.now())));
    // Production's periodic publish, failing just before etcd is back.
    await expect(a.coordinator.publish({ api: "http://node-a.test" })).rejects.toThrow();
    await etcd.start();
    const backAt = Date.now();

    // etcd gave the lease it kept a fresh TTL; renewed at once, it lives on (late, a new one is granted).
    await renewedSince(client, "node-a", backAt, TTL / 2);
    const lease = leaseOf(a);
    expect(a.regained).toHaveLength(1);
    expect(await statusLease(client, "node-a")).toBe(lease);
    expect(a.coordinator.holds(PRODUCER)).toBe(false);
    expect(await a.coordinator.acquire(PRODUCER)).toEqual({ acquired: true });
    expect(await remainingTtl(client, lease)).toBeGreaterThan(0);
  });

  it("keeps its lease through a quick etcd restart: renewed as soon as etcd is back, no new grant", async () => {
    const etcd = await etcdServer();
    const client = observer(etcd);
    const a = await node("node-a", etcd.url);
    expect(await a.coordinator.acquire(PRODUCER)).toEqual({ acquired: true });
    const lease = leaseOf(a);

    const stoppedAt = Date.now();
    await etcd.stop();
    // Production keeps publishing meanwhile: a call that fails through the same client.
    await expect(a.coordinator.publish({ api: "http://node-a.test" })).rejects.toThrow();
    await etcd.start();
    const backAt = Date.now();
    expect(backAt - stoppedAt).toBeLessThan(TTL);

    // Renewed in time or not (a restart can outlast half the TTL), the same lease is live again at once.
    await renewedSince(client, "node-a", backAt, TTL / 2);
    expect(await a.coordinator.acquire(PRODUCER)).toEqual({ acquired: true });
    expect(a.regained).toHaveLength(a.lost.length);
    expect(a.coordinator.leaseId).toBe(lease);
    expect(warned(a, NEW_LEASE)).toEqual([]);
    expect(a.logs.filter((l) => l.msg === "etcd lease granted")).toHaveLength(1);
    expect(await statusLease(client, "node-a")).toBe(lease);
    expect(a.coordinator.holds(PRODUCER)).toBe(true);
    expect(await remainingTtl(client, lease)).toBeGreaterThan(0);
  });

  it("renews its lease right after a short network blip that failed a call", async () => {
    const etcd = await etcdServer();
    const fwd = await forwarder(etcd);
    const client = observer(etcd);
    const a = await node("node-a", `http://${fwd.address}`);
    expect(await a.coordinator.acquire(PRODUCER)).toEqual({ acquired: true });
    const lease = leaseOf(a);

    await fwd.cut("refuse");
    await expect(a.coordinator.publish({ api: "http://node-a.test" })).rejects.toThrow();
    await fwd.restore();
    const backAt = Date.now();

    await renewedSince(client, "node-a", backAt, TTL / 2);
    expect(a.coordinator.leaseId).toBe(lease);
    expect(a.logs.filter((l) => l.msg === "etcd lease granted")).toHaveLength(1);
    expect(await a.coordinator.acquire(PRODUCER)).toEqual({ acquired: true });
  });

  it("lets another node take the producer lease only after ours expired in a partition, and does not take it back", async () => {
    const etcd = await etcdServer();
    const fwd = await forwarder(etcd);
    const client = observer(etcd);
    const a = await node("node-a", `http://${fwd.address}`);
    const b = await node("node-b", etcd.url);
    expect(await a.coordinator.acquire(PRODUCER)).toEqual({ acquired: true });
    expect(await b.coordinator.acquire(PRODUCER)).toEqual({ acquired: false, holder: "node-a" });
    expect(b.coordinator.holds(PRODUCER)).toBe(false);
    const oldLease = leaseOf(a);

    await fwd.cut("drop");
    const taken = await until(
      "node-b to acquire",
      async () => ((await b.coordinator.acquire(PRODUCER)).acquired ? Date.now() : undefined),
      TTL * 4,
    );
    // Production on node-a was told to stop before node-b could take over.
    expect(a.lost).toHaveLength(1);
    expect(a.lost[0]?.at).toBeLessThan(taken);
    expect(b.coordinator.holds(PRODUCER)).toBe(true);
    expect(await remainingTtl(client, oldLease)).toBeLessThan(0);

    await fwd.restore();
    await until(
      "node-a's new lease",
      () => (a.coordinator.leaseId !== undefined && a.coordinator.leaseId !== oldLease ? true : undefined),
      TTL * 4,
    );
    await until("node-a's lease-regained listener", () => (a.regained.length > 0 ? true : undefined), TTL);
    expect(await a.coordinator.acquire(PRODUCER)).toEqual({ acquired: false, holder: "node-b" });
    expect(a.coordinator.holds(PRODUCER)).toBe(false);
    expect(b.coordinator.holds(PRODUCER)).toBe(true);
    expect(await b.coordinator.holder(PRODUCER)).toBe("node-b");
  });

  it("moves the producer lease of a previous run of the same node onto its own lease", async () => {
    const etcd = await etcdServer();
    const client = observer(etcd);
    // What a crashed run of node-a left: the producer lease under its name, on a lease nobody will renew.
    const previous = client.lease(TTL / 1000, { autoKeepAlive: false });
    await previous.put(`${PREFIX}/producers/${PRODUCER}/holder`).value("node-a");
    const a = await node("node-a", etcd.url);
    const b = await node("node-b", etcd.url);
    expect(await a.coordinator.acquire(PRODUCER)).toEqual({ acquired: true });

    await previous.revoke();
    expect(await a.coordinator.holder(PRODUCER)).toBe("node-a");
    expect(await b.coordinator.acquire(PRODUCER)).toEqual({ acquired: false, holder: "node-a" });
    expect(a.coordinator.holds(PRODUCER)).toBe(true);
  });
});
