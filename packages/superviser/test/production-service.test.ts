import { EventEmitter } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import {
  type BlockEvent,
  type Chain,
  type ChainEventMap,
  type ChainStatus,
  type Coordinator,
  createMetricsRegistry,
  LocalCoordinator,
  type Producer,
} from "@manageos/core";
import {
  createProductionMetrics,
  Production,
  type ProductionClock,
  type ProductionState,
  ProductionTracker,
  type StartResumeStatus,
} from "../src/index.js";

const logger = pino({ level: "silent" });
const INTERVAL = 500;
const ROUND = 12;
const SCHEDULE = ["bp.a", "bp.b", "bp.c"];

// A clock that moves only when the test says so; sleepers wake when their time comes.
class ManualClock implements ProductionClock {
  #now: number;
  readonly #sleepers: { at: number; wake: () => void }[] = [];
  constructor(start: number) {
    this.#now = start;
  }
  now(): number {
    return this.#now;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const entry = { at: this.#now + ms, wake: () => resolve() };
      this.#sleepers.push(entry);
      signal?.addEventListener("abort", () => resolve(), { once: true });
    });
  }
  get sleepers(): number {
    return this.#sleepers.length;
  }
  /** Moves time forward in small steps, letting woken tasks run between steps. */
  async advance(ms: number, step = 50): Promise<void> {
    const end = this.#now + ms;
    while (this.#now < end) {
      this.#now = Math.min(end, this.#now + step);
      for (const s of this.#sleepers.filter((s) => s.at <= this.#now)) {
        this.#sleepers.splice(this.#sleepers.indexOf(s), 1);
        s.wake();
      }
      await flush();
    }
  }
}

// A promise and whether it has settled yet.
function tracked<T>(promise: Promise<T>): { readonly promise: Promise<T>; readonly settled: boolean } {
  const state = { promise, settled: false };
  promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  return state;
}

async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise<void>((resolve) => setImmediate(resolve));
}

// A nodeos stand-in: emits block events on demand and records pause/resume calls.
class FakeChain extends EventEmitter<ChainEventMap> implements Producer {
  readonly kind = "nodeos" as const;
  paused = true;
  wanted = false;
  readonly calls: string[] = [];
  async pauseProduction(options: { keepWanted?: boolean } = {}): Promise<void> {
    this.calls.push("pause");
    if (options.keepWanted !== true) this.wanted = false;
    this.paused = true;
  }
  async resumeProduction(): Promise<void> {
    this.calls.push("resume");
    this.paused = false;
    this.wanted = true;
  }
  wantsProduction(): boolean {
    return this.wanted;
  }
  async isProductionPaused(): Promise<boolean> {
    return this.paused;
  }
  status(): ChainStatus {
    return {
      kind: "nodeos",
      state: "running",
      pid: 1,
      restarts: 0,
      crashLoop: false,
      dirty: false,
      head: undefined,
      lastBlock: undefined,
      lastExit: undefined,
      uptimeMs: 1,
    };
  }
  async start(): Promise<void> {}
  async stop() {
    return undefined;
  }
  async restart(): Promise<void> {}
  lastLines(): readonly string[] {
    return [];
  }
  async close(): Promise<void> {}
}

const T0 = Date.parse("2024-01-01T00:00:00.000Z");
const producerOf = (num: number) => SCHEDULE[Math.floor(num / ROUND) % SCHEDULE.length] as string;
const block = (num: number, kind: BlockEvent["kind"], producer = producerOf(num)): BlockEvent => ({
  num,
  idPrefix: num.toString(16).padStart(16, "0"),
  producer,
  time: new Date(T0 + num * INTERVAL).toISOString(),
  lib: num - 24,
  kind,
});

// Blocks of other producers arrive; our slots stay empty (no node of ours produces).
const emptyOurSlots = (num: number): BlockEvent["kind"] | undefined => (producerOf(num) === "bp.b" ? undefined : "received");

function setup(opts: { claimWindow?: number; pauseTimeout?: number; wanted?: boolean; peers?: string[]; leaseHolder?: string } = {}) {
  const clock = new ManualClock(T0);
  const chain = new FakeChain();
  chain.wanted = opts.wanted ?? false;
  const local = new LocalCoordinator({ nodeId: "node-1" }, { now: () => clock.now() });
  // With leaseHolder, a coordinator whose producer lease decides (as etcd's): held by that node, or free ("").
  const coordinator: Coordinator =
    opts.leaseHolder === undefined
      ? local
      : {
          kind: "etcd",
          nodeId: local.nodeId,
          start: () => local.start(),
          publish: (status) => local.publish(status),
          peers: () => local.peers(),
          acquire: async (producer) =>
            opts.leaseHolder === "" ? local.acquire(producer) : { acquired: false, holder: opts.leaseHolder as string },
          holds: (producer) => local.holds(producer),
          holder: (producer) => local.holder(producer),
          claim: (producer) => local.claim(producer),
          release: (producer, info) => local.release(producer, info),
          lastClaim: (producer) => local.lastClaim(producer),
          onLeaseLost: () => local.onLeaseLost(),
          close: () => local.close(),
        };
  const registry = createMetricsRegistry();
  const production = new Production(
    {
      producerName: "bp.b",
      blockInterval: INTERVAL,
      roundLength: ROUND,
      claimWindow: opts.claimWindow ?? 5_000,
      pauseTimeout: opts.pauseTimeout ?? 30_000,
      ...(opts.peers === undefined ? {} : { peers: opts.peers }),
    },
    {
      chain: chain as unknown as Chain & Producer,
      coordinator,
      logger,
      clock,
      readSchedule: async () => SCHEDULE,
      metrics: createProductionMetrics(registry),
    },
  );
  // Feeds blocks up to `to` at their due time; a slot whose kind is undefined stays empty.
  let next = 1;
  const feed = async (to: number, kind: (num: number) => BlockEvent["kind"] | undefined = () => "received") => {
    for (; next <= to; next++) {
      const due = T0 + next * INTERVAL;
      if (clock.now() < due) await clock.advance(due - clock.now());
      const k = kind(next);
      if (k !== undefined) chain.emit("block", block(next, k));
      await flush();
    }
  };
  const ctx = { id: "job", signal: new AbortController().signal, progress: () => undefined, log: () => undefined };
  return { clock, chain, production, feed, ctx, registry };
}

describe("production state machine", () => {
  it("goes next -> producing -> just produced -> not producing over a rotation, from block events", () => {
    const tracker = new ProductionTracker({ producerName: "bp.b", blockInterval: INTERVAL, roundLength: ROUND });
    tracker.setSchedule(SCHEDULE);
    const seen = new Map<number, ProductionState>();
    for (let num = 1; num <= 48; num++) {
      tracker.observe(block(num, producerOf(num) === "bp.b" ? "produced" : "received"));
      seen.set(num, tracker.snapshot().state);
    }
    // bp.a: 1-11 and 36-47; bp.b (us): 12-23; bp.c: 24-35.
    expect(seen.get(5)).toBe("producing-next");
    expect(seen.get(12)).toBe("producing");
    expect(seen.get(22)).toBe("producing");
    expect(seen.get(23)).toBe("just-produced");
    expect(seen.get(30)).toBe("just-produced");
    expect(seen.get(40)).toBe("producing-next");
    expect(seen.get(48)).toBe("producing");
    expect(tracker.snapshot().inSchedule).toBe(true);
  });

  it("is not in the schedule and never producing when our name is not in it", () => {
    const tracker = new ProductionTracker({ producerName: "bp.z", blockInterval: INTERVAL, roundLength: ROUND });
    tracker.setSchedule(SCHEDULE);
    for (let num = 1; num <= 30; num++) tracker.observe(block(num, "received"));
    expect(tracker.snapshot()).toMatchObject({ state: "not-producing", inSchedule: false });
  });

  it("takes its own blocks, seen again as received after a restore or a replay, for its own, and only those", () => {
    const tracker = new ProductionTracker({ producerName: "bp.b", blockInterval: INTERVAL, roundLength: ROUND });
    tracker.setSchedule(SCHEDULE);
    for (let num = 1; num <= 30; num++) tracker.observe(block(num, producerOf(num) === "bp.b" ? "produced" : "received"));
    expect(tracker.snapshot().lastProducedHere?.num).toBe(23);
    // nodeos restored from an older backup syncs blocks 5-30 again: ours come in as received, with the same ids.
    tracker.reset();
    for (let num = 5; num <= 30; num++) tracker.observe(block(num, "received"));
    expect(tracker.snapshot().lastProducedElsewhere).toBeUndefined();
    expect(tracker.oursSince(12).every((b) => b.where === "here")).toBe(true);
    // A block of ours with another id (another node signed that slot) is another node's.
    tracker.observe({ ...block(48, "received"), idPrefix: "ffffffffffffffff" });
    tracker.observe({ ...block(22, "received"), idPrefix: "eeeeeeeeeeeeeeee" });
    expect(tracker.snapshot().lastProducedElsewhere?.num).toBe(22);
  });

  it("counts the slots of ours nobody produced between two of our blocks", () => {
    const tracker = new ProductionTracker({ producerName: "bp.b", blockInterval: INTERVAL, roundLength: ROUND });
    tracker.setSchedule(SCHEDULE);
    for (let num = 1; num <= 60; num++) {
      // Round 12-23 produced here up to 17; round 48-59 taken over elsewhere from 50: 18-23 and 48-49 missed.
      if (producerOf(num) !== "bp.b") tracker.observe(block(num, "received"));
      else if (num <= 17) tracker.observe(block(num, "produced"));
      else if (num >= 50) tracker.observe(block(num, "received"));
    }
    const [last] = tracker.oursSince(17);
    const [first] = tracker.oursSince(50);
    expect(tracker.missedBetween(last!, first!)).toBe(8);
  });
});

describe("safely pause production", () => {
  it("waits for the end of our round, then pauses", async () => {
    const { chain, production, feed, ctx } = setup();
    chain.paused = false;
    await production.start();
    await feed(15, (n) => (producerOf(n) === "bp.b" ? "produced" : "received"));
    expect(production.status().state).toBe("producing");
    let done = false;
    const pausing = production.safelyPause(ctx).then((r) => {
      done = true;
      return r;
    });
    await feed(22, () => "produced");
    expect(done).toBe(false);
    expect(chain.calls).toEqual([]);
    await feed(23, () => "produced");
    // The next producer's blocks, and the short wait for a block that was being signed when the pause came.
    await feed(28);
    const result = await pausing;
    expect(chain.calls).toEqual(["pause"]);
    expect(result).toMatchObject({ paused: true, waitedForRound: true, timedOut: false, lastProduced: 23 });
    await production.close();
  });

  it("pauses anyway when the round does not end within the pause timeout, and says so", async () => {
    const { clock, chain, production, feed, ctx } = setup({ pauseTimeout: 3_000 });
    chain.paused = false;
    await production.start();
    await feed(14, (n) => (producerOf(n) === "bp.b" ? "produced" : "received"));
    const started = clock.now();
    let result: Awaited<ReturnType<Production["safelyPause"]>> | undefined;
    const pausing = production.safelyPause(ctx).then((r) => {
      result = r;
    });
    // The node goes silent: no block ends the round. Only the timeout can.
    await clock.advance(2_900);
    expect(chain.calls).toEqual([]);
    await clock.advance(2_000);
    await pausing;
    expect(chain.calls).toEqual(["pause"]);
    expect(result).toMatchObject({ paused: true, waitedForRound: true, timedOut: true });
    expect(result?.waitedMs).toBeGreaterThanOrEqual(3_000);
    expect(clock.now() - started).toBeLessThan(5_000);
    await production.close();
  });

  it("pauses at once when it is not our round", async () => {
    const { chain, production, feed, ctx } = setup();
    chain.paused = false;
    await production.start();
    await feed(30, (n) => (producerOf(n) === "bp.b" ? "produced" : "received"));
    const pausing = production.safelyPause(ctx);
    await feed(33);
    expect(await pausing).toMatchObject({ waitedForRound: false, timedOut: false, lastProduced: 23 });
    await production.close();
  });
});

describe("safely resume production", () => {
  it("refuses with a coded 409 while another node of ours produced within the claim window", async () => {
    const { chain, production, feed, ctx, registry } = setup({ claimWindow: 5_000 });
    await production.start();
    // Another node produces our round 12-23; we are paused and receive it.
    await feed(26);
    const refusal = await production.safelyResume(ctx).catch((e: unknown) => e);
    expect(refusal).toMatchObject({ code: "PRD_ERR_UNSAFE_RESUME", details: { reason: "produced-within-claim-window", block: 23 } });
    expect(chain.calls).toEqual([]);
    expect(production.coordinator.holds("bp.b")).toBe(false);
    expect(await registry.metrics()).toMatch(/^manageos_bp_guard_trips_total\{reason="resume-refused"\} 1$/m);
    // Past the window, the block still came within a rotation (3 x 12 blocks) plus a round: the node that produced it
    // may produce again at our next round.
    await feed(34);
    await expect(production.safelyResume(ctx)).rejects.toMatchObject({
      code: "PRD_ERR_UNSAFE_RESUME",
      message: expect.stringContaining("released_through=23"),
      details: {
        reason: "produced-within-rotation",
        block: 23,
        retryAfter: new Date(T0 + 23 * INTERVAL + 4 * ROUND * INTERVAL).toISOString(),
      },
    });
    expect(chain.calls).toEqual([]);
    // Said paused through that block by a person (or a handoff), or once a rotation shows nothing more, it resumes.
    await expect(production.safelyResume(ctx, { releasedThrough: 23 })).resolves.toMatchObject({ resumed: true });
    expect(chain.calls).toEqual(["resume"]);
    await production.close();
  });

  it("resumes once a rotation since our last block from elsewhere showed no other", async () => {
    const { chain, production, feed, ctx } = setup({ claimWindow: 5_000 });
    await production.start();
    await feed(26);
    await feed(71, emptyOurSlots);
    await expect(production.safelyResume(ctx)).rejects.toMatchObject({ details: { reason: "produced-within-rotation", block: 23 } });
    await feed(72, emptyOurSlots);
    await expect(production.safelyResume(ctx)).resolves.toMatchObject({ resumed: true });
    expect(chain.calls).toEqual(["resume"]);
    await production.close();
  });

  it("refuses while our round is underway on another node", async () => {
    const { production, feed, ctx } = setup({ claimWindow: 5_000 });
    await production.start();
    await feed(16);
    await expect(production.safelyResume(ctx)).rejects.toMatchObject({
      code: "PRD_ERR_UNSAFE_RESUME",
      details: { reason: "round-underway-elsewhere", block: 16 },
    });
    await production.close();
  });

  it("accepts blocks a paused node released through, but not one after them", async () => {
    const { chain, production, feed, ctx } = setup({ claimWindow: 5_000 });
    await production.start();
    await feed(25);
    await expect(production.safelyResume(ctx, { releasedThrough: 22 })).rejects.toMatchObject({ code: "PRD_ERR_UNSAFE_RESUME" });
    await expect(production.safelyResume(ctx, { releasedThrough: 23 })).resolves.toMatchObject({ resumed: true });
    expect(chain.calls).toEqual(["resume"]);
    await production.close();
  });

  it("waits until it has watched the chain for a claim window, then for a rotation, then decides", async () => {
    const { chain, production, feed, ctx } = setup({ claimWindow: 3_000 });
    await production.start();
    await feed(2);
    const progress: string[] = [];
    const resume = tracked(production.safelyResume({ ...ctx, progress: (p: { message?: string }) => progress.push(p.message ?? "") }));
    await feed(6);
    // Watching since block 1 (0.5 s): at block 6 (3.0 s) only 2.5 s.
    expect(resume.settled).toBe(false);
    expect(chain.calls).toEqual([]);
    expect(progress[0]).toContain("claim window");
    // Then a rotation plus a round from block 1, without a peer's word: until block 49.
    await feed(48, emptyOurSlots);
    expect(resume.settled).toBe(false);
    // The watch began when the claim window ended (block 7), with the rest of the rotation ahead: blocks 7 to 49.
    const left = ((49 - 7) * INTERVAL) / 1000;
    expect(progress.at(-1)).toBe(`watching a rotation of the schedule for another node of ours (${left} s)`);
    await feed(49, emptyOurSlots);
    await expect(resume.promise).resolves.toMatchObject({ resumed: true });
    expect(chain.calls).toEqual(["resume"]);
    await production.close();
  });

  it("waits out the silence of our own round while paused, then decides", async () => {
    const { chain, clock, production, feed, ctx } = setup({ claimWindow: 2_000 });
    await production.start();
    await feed(11);
    // Our round (12-23) and we are paused: nobody signs those slots, the last block grows old.
    await clock.advance(3_000);
    expect(production.readyToResume()).toMatch(/not synced/);
    const resume = tracked(production.safelyResume(ctx, { releasedThrough: 0 }));
    await clock.advance(T0 + 24 * INTERVAL - clock.now());
    expect(resume.settled).toBe(false);
    chain.emit("block", block(24, "received"));
    await expect(resume.promise).resolves.toMatchObject({ resumed: true });
    expect(chain.calls).toEqual(["resume"]);
    await production.close();
  });

  it("refuses after the wait when another node of ours produced meanwhile", async () => {
    const { chain, production, feed, ctx } = setup({ claimWindow: 7_000 });
    await production.start();
    await feed(1);
    const resume = production.safelyResume(ctx).catch((e: unknown) => e);
    // Our round (12-23) starts on another node while we watch; the window ends at block 15.
    await feed(15);
    expect(await resume).toMatchObject({ code: "PRD_ERR_UNSAFE_RESUME" });
    expect(chain.calls).toEqual([]);
    await production.close();
  });
});

// A peer manageos answering its status (running, synced, in bp mode, paused or producing) and, when paused,
// granting a resume intent as the real one does.
async function peerServer(node: string, paused: boolean): Promise<{ url: string; server: Server; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.setHeader("content-type", "application/json");
    const path = (req.url ?? "").split("?")[0];
    if (path === "/v1/manageos/production/intent" && req.method === "POST") {
      if (paused) return void res.end(JSON.stringify({ granted: true }));
      return void res
        .writeHead(409)
        .end(JSON.stringify({ code: "PRD_ERR_INTENT_REFUSED", message: `resume intent refused: ${node} produces` }));
    }
    if (path === "/v1/manageos/production/intent/release" && req.method === "POST") return void res.end(JSON.stringify({ released: true }));
    if (req.url !== "/v1/manageos/status") return void res.writeHead(404).end("{}");
    res.end(JSON.stringify({ state: "running", synced: true, production: { node, paused, signing: !paused } }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, requests };
}

// Polls in real time (peer calls are real HTTP) until `probe` answers, for at most 5 s.
async function eventually<T>(what: string, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const startOf = (production: Production) => production.status().start as StartResumeStatus | null;

// The start resume's final state.
function startOutcome(production: Production): Promise<StartResumeStatus> {
  const final = new Set(["resumed", "refused", "skipped"]);
  return eventually("the start resume's outcome", () => {
    const start = startOf(production);
    return start !== null && final.has(start.state) ? start : undefined;
  });
}

describe("safely resume production, asking the peers", () => {
  it("refuses while a peer answers that it produces, though none of its blocks came within the claim window", async () => {
    const producing = await peerServer("node-3", false);
    const paused = await peerServer("node-2", true);
    try {
      const { chain, production, feed, ctx, registry } = setup({ claimWindow: 2_000, peers: [paused.url, producing.url] });
      await production.start();
      await feed(40, emptyOurSlots);
      const refusal = await production.safelyResume(ctx).catch((e: unknown) => e);
      expect(refusal).toMatchObject({
        code: "PRD_ERR_UNSAFE_RESUME",
        details: { reason: "peer-producing", peer: producing.url, node: "node-3" },
      });
      expect(producing.requests).toEqual(["GET /v1/manageos/status"]);
      expect(chain.calls).toEqual([]);
      expect(production.coordinator.holds("bp.b")).toBe(false);
      expect(await registry.metrics()).toMatch(/^manageos_bp_guard_trips_total\{reason="resume-refused"\} 1$/m);
      await production.close();
    } finally {
      for (const p of [producing, paused]) p.server.close();
    }
  });

  it("resumes at once when every peer answers that it is paused, though one of them produced within the rotation", async () => {
    const peers = [await peerServer("node-2", true), await peerServer("node-3", true)];
    try {
      const { chain, production, feed, ctx } = setup({ claimWindow: 2_000, peers: peers.map((p) => p.url) });
      await production.start();
      // Our round 12-23 came from another node, since paused by hand.
      await feed(30);
      await expect(production.safelyResume(ctx)).resolves.toMatchObject({ resumed: true });
      // Each peer was asked for its status, then granted the intent, which was released once production resumed.
      for (const p of peers) {
        await eventually("the intent released", () => (p.requests.length === 3 ? true : undefined));
        expect(p.requests[0]).toBe("GET /v1/manageos/status");
        expect(p.requests[1]).toMatch(/^POST \/v1\/manageos\/production\/intent\?node=node-1&id=[0-9a-f-]{36}&ttl_ms=\d+$/);
        expect(p.requests[2]).toBe(`POST /v1/manageos/production/intent/release?id=${/id=([0-9a-f-]+)/.exec(p.requests[1] ?? "")?.[1]}`);
      }
      expect(chain.calls).toEqual(["resume"]);
      await production.close();
    } finally {
      for (const p of peers) p.server.close();
    }
  });

  it("refuses, naming it, while a peer does not answer: it may be producing", async () => {
    const paused = await peerServer("node-2", true);
    const gone = await peerServer("node-3", false);
    await new Promise((resolve) => gone.server.close(resolve));
    try {
      const { chain, production, feed, ctx, registry } = setup({ claimWindow: 2_000, peers: [paused.url, gone.url] });
      await production.start();
      await feed(40, emptyOurSlots);
      const refusal = await production.safelyResume(ctx).catch((e: unknown) => e);
      expect(refusal).toMatchObject({ code: "PRD_ERR_PEER_UNREACHABLE", details: { reason: "peer-unreachable", peers: [gone.url] } });
      expect((refusal as Error).message).toContain(gone.url);
      expect(chain.calls).toEqual([]);
      expect(await registry.metrics()).toMatch(/^manageos_bp_guard_trips_total\{reason="resume-refused"\} 1$/m);
      await production.close();
    } finally {
      paused.server.close();
    }
  });

  it("with the operator's override, skips a peer that does not answer, records it in the job log, and watches a rotation", async () => {
    const paused = await peerServer("node-2", true);
    const gone = await peerServer("node-3", false);
    await new Promise((resolve) => gone.server.close(resolve));
    try {
      const { chain, production, feed, ctx } = setup({ claimWindow: 2_000, peers: [paused.url, gone.url] });
      await production.start();
      await feed(40, emptyOurSlots);
      const logged: string[] = [];
      const resume = tracked(production.safelyResume(ctx, { skipUnreachablePeers: true, log: (m) => logged.push(m) }));
      await eventually("the peers asked", () => (paused.requests.length > 0 ? true : undefined));
      await feed(48, emptyOurSlots);
      expect(resume.settled).toBe(false);
      await feed(49, emptyOurSlots);
      await expect(resume.promise).resolves.toMatchObject({ resumed: true });
      expect(chain.calls).toEqual(["resume"]);
      expect(logged.filter((m) => m.includes("skip-unreachable-peers") && m.includes(gone.url))).toHaveLength(2);
      await production.close();
    } finally {
      paused.server.close();
    }
  });
});

describe("the signing fence's verdict and the guard, in every coordinator mode", () => {
  it("signs only between a safe resume and the next pause", async () => {
    const { production, feed, ctx } = setup({ claimWindow: 2_000 });
    await production.start();
    await feed(40, emptyOurSlots);
    expect(production.signingVerdict()).toEqual({ allowed: false, reason: "production is not resumed on this node" });
    await production.safelyResume(ctx, { releasedThrough: 40 });
    expect(production.signingVerdict()).toEqual({ allowed: true });
    expect(production.status()).toMatchObject({ signing: true });
    await feed(44, emptyOurSlots);
    const pausing = production.safelyPause(ctx);
    // The fence closes with the pause itself, before the wait for a block still being signed.
    expect(production.signingVerdict().allowed).toBe(false);
    await feed(48, emptyOurSlots);
    await expect(pausing).resolves.toMatchObject({ paused: true });
    await production.close();
  });

  it("pauses at once, fence first, when a block of ours comes from another node while this node signs (local coordinator)", async () => {
    const { chain, production, feed, ctx, registry } = setup({ claimWindow: 2_000 });
    await production.start();
    await feed(40, emptyOurSlots);
    await production.safelyResume(ctx, { releasedThrough: 40 });
    // Our round 48-59 arrives as received blocks: another node signs with our name.
    await feed(48);
    expect(production.signingVerdict().allowed).toBe(false);
    expect(chain.calls).toEqual(["resume", "pause"]);
    expect(production.status().guard).toMatchObject({ trip: "produced-elsewhere", block: 48, action: "paused" });
    expect(await registry.metrics()).toMatch(/^manageos_bp_guard_trips_total\{reason="produced-elsewhere"\} 1$/m);
    await production.close();
  });

  it("does not trip on blocks of ours a paused node released, or that came before our resume", async () => {
    const { chain, production, feed, ctx } = setup({ claimWindow: 2_000 });
    await production.start();
    // Our round 12-23 came from another node, which paused after #23 and said so (a handoff).
    await feed(30);
    await production.safelyResume(ctx, { releasedThrough: 23 });
    await feed(40, emptyOurSlots);
    expect(chain.calls).toEqual(["resume"]);
    expect(production.status().guard).toBeNull();
    await production.close();
  });

  it("pauses when a peer answers that it signs too, while this node signs", async () => {
    const peer = await peerServer("node-2", true);
    try {
      const { chain, production, feed, ctx, registry } = setup({ claimWindow: 2_000, peers: [peer.url] });
      await production.start();
      await feed(40, emptyOurSlots);
      await production.safelyResume(ctx, { releasedThrough: 40 });
      expect(production.status().guard).toBeNull();
      // The peer now says it signs: both would produce our next round.
      peer.server.removeAllListeners("request");
      peer.server.on("request", (_req, res) => {
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ state: "running", synced: true, production: { node: "node-2", paused: false, signing: true } }));
      });
      await eventually("the guard", () => (production.status().guard === null ? undefined : true));
      expect(production.status().guard).toMatchObject({ trip: "peer-producing", peer: peer.url, action: "paused" });
      expect(chain.calls).toEqual(["resume", "pause"]);
      expect(await registry.metrics()).toMatch(/^manageos_bp_guard_trips_total\{reason="peer-producing"\} 1$/m);
      await production.close();
    } finally {
      peer.server.close();
    }
  });
});

describe("finalizer keys: one per nodeos", () => {
  it("refuses at start a finalizer key a peer already holds, publishes only the others, and alerts on a later conflict", async () => {
    const requests: string[] = [];
    let peerKeys = ["PUB_BLS_shared"];
    const server = createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      res.setHeader("content-type", "application/json");
      res.end(
        JSON.stringify({
          state: "running",
          synced: true,
          production: { node: "node-2", paused: true, signing: false, finalizerKeys: peerKeys },
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const { chain, production, registry } = setup({ peers: [url] });
      const refused: string[][] = [];
      Object.assign(chain, {
        finalizerPublicKeys: async () => ["PUB_BLS_shared", "PUB_BLS_mine"],
        refuseFinalizerKeys: (keys: readonly string[]) => refused.push([...keys]),
      });
      await production.start();
      expect(refused).toEqual([["PUB_BLS_shared"]]);
      expect(production.status()).toMatchObject({ finalizerKeys: ["PUB_BLS_mine"] });
      // Later the peer shows a key this node kept: both would vote with it.
      peerKeys = ["PUB_BLS_mine"];
      await eventually("the conflict", () => ((production.status().finalizerKeyConflicts as unknown[]).length > 0 ? true : undefined));
      expect(production.status().finalizerKeyConflicts).toEqual([{ key: "PUB_BLS_mine", node: "node-2", api: url }]);
      expect(await registry.metrics()).toMatch(/^manageos_bp_finalizer_key_conflicts 1$/m);
      // Missed votes nodeos reports are counted and shown.
      chain.emit("vote-missed", { finalizer: "bp.b", block: 120 });
      expect(production.status().finalizer).toMatchObject({ key: "PUB_BLS_mine", missedVotes: 1, lastMissedVote: { block: 120 } });
      expect(await registry.metrics()).toMatch(/^manageos_bp_finalizer_missed_votes_total 1$/m);
      await production.close();
    } finally {
      server.close();
    }
  });
});

describe("production after a start of nodeos", () => {
  it("resumes a node meant to produce only after watching a full rotation in which no other node of ours produced", async () => {
    const { chain, production, feed, registry } = setup({ claimWindow: 2_000, wanted: true });
    await production.start();
    // Synced and watched for a claim window at block 5; then a rotation (3 x 12 blocks) plus a round from block 1.
    await feed(47, emptyOurSlots);
    expect(chain.calls).toEqual([]);
    expect(production.status().start).toMatchObject({ state: "watching", until: T0 + INTERVAL + 4 * ROUND * INTERVAL });
    await feed(51, emptyOurSlots);
    expect(chain.calls).toEqual(["resume"]);
    expect(production.status().start).toMatchObject({ state: "resumed" });
    expect(await registry.metrics()).not.toMatch(/reason="start-refused"\} [1-9]/);
    await production.close();
  });

  it("stays paused, with a coded metric, when a block of ours comes from another node while it watches", async () => {
    const { chain, production, feed, registry } = setup({ claimWindow: 2_000, wanted: true });
    await production.start();
    // Our round (12-23) arrives as received blocks: another node signs with our name.
    await feed(12);
    expect(production.status().start).toMatchObject({ state: "refused", reason: expect.stringContaining("#12") });
    await feed(60);
    expect(chain.calls).toEqual([]);
    expect(await registry.metrics()).toMatch(/^manageos_bp_guard_trips_total\{reason="start-refused"\} 1$/m);
    await production.close();
  });

  it("does not resume a node that is not meant to produce", async () => {
    const { chain, production, feed } = setup({ claimWindow: 2_000, wanted: false });
    await production.start();
    await feed(60, emptyOurSlots);
    expect(chain.calls).toEqual([]);
    expect(production.status().start).toBeNull();
    await production.close();
  });

  it("leaves production paused when it was paused while the start resume waited", async () => {
    const { chain, production, feed, ctx } = setup({ claimWindow: 2_000, wanted: true });
    await production.start();
    await feed(8, emptyOurSlots);
    expect(production.status().start).toMatchObject({ state: "watching" });
    const pause = tracked(production.safelyPause(ctx));
    await feed(11, emptyOurSlots);
    await expect(pause.promise).resolves.toMatchObject({ paused: true });
    await feed(60, emptyOurSlots);
    expect(chain.calls).toEqual(["pause"]);
    expect(production.status().start).toMatchObject({ state: "skipped", reason: "production was paused meanwhile" });
    await production.close();
  });

  it("resumes without waiting a rotation when every peer answers that it is paused", async () => {
    const peers = [await peerServer("node-2", true), await peerServer("node-3", true)];
    try {
      const { chain, production, feed } = setup({ claimWindow: 2_000, wanted: true, peers: peers.map((p) => p.url) });
      await production.start();
      await feed(6, emptyOurSlots);
      expect(await startOutcome(production)).toMatchObject({ state: "resumed" });
      expect(chain.calls).toEqual(["resume"]);
      await production.close();
    } finally {
      for (const p of peers) p.server.close();
    }
  });

  it("refuses at once when a peer answers that it produces", async () => {
    const peers = [await peerServer("node-2", true), await peerServer("node-3", false)];
    try {
      const { chain, production, feed } = setup({ claimWindow: 2_000, wanted: true, peers: peers.map((p) => p.url) });
      await production.start();
      await feed(6, emptyOurSlots);
      expect(await startOutcome(production)).toMatchObject({ state: "refused", reason: expect.stringContaining("node-3") });
      expect(chain.calls).toEqual([]);
      await production.close();
    } finally {
      for (const p of peers) p.server.close();
    }
  });

  it("asks a producing peer for a handoff instead of refusing when bp.takeover is on", async () => {
    const peer = await peerServer("node-2", false);
    try {
      const { chain, production, feed } = setup({ claimWindow: 2_000, wanted: true, peers: [peer.url] });
      production.reconfigure({ claimWindow: 2_000, pauseTimeout: 30_000, takeover: true });
      await production.start({ api: "http://127.0.0.1:18080" });
      // Not at manageos' start: this node is meant to produce, so the takeover waits for a producing peer.
      expect(production.status().takeover).toBeNull();
      await feed(6, emptyOurSlots);
      expect(await startOutcome(production)).toMatchObject({
        state: "skipped",
        reason: "node-2 produces: the takeover asks it for production",
      });
      await eventually("the handoff request", () => peer.requests.find((r) => r.startsWith("POST /v1/nodeos/handoff")));
      expect(peer.requests).toContain(`POST /v1/nodeos/handoff?sync=true&to=${encodeURIComponent("http://127.0.0.1:18080")}`);
      expect(chain.calls).toEqual([]);
      await production.close();
    } finally {
      peer.server.close();
    }
  });

  it("judges a resume after a restart (a job, a reload) the same way: a rotation watched, a block of ours from elsewhere refuses", async () => {
    const quiet = setup({ claimWindow: 2_000 });
    await quiet.production.start();
    const resumed = tracked(quiet.production.resumeAfterRestart(quiet.ctx, 60_000));
    await quiet.feed(47, emptyOurSlots);
    expect(resumed.settled).toBe(false);
    await quiet.feed(51, emptyOurSlots);
    await expect(resumed.promise).resolves.toMatchObject({ resumed: true });
    expect(quiet.chain.calls).toEqual(["resume"]);
    await quiet.production.close();

    const other = setup({ claimWindow: 2_000 });
    await other.production.start();
    const refused = other.production.resumeAfterRestart(other.ctx, 60_000).catch((e: unknown) => e);
    await other.feed(12);
    expect(await refused).toMatchObject({ code: "PRD_ERR_UNSAFE_RESUME", details: { reason: "other-producer" } });
    expect(other.chain.calls).toEqual([]);
    expect(await other.registry.metrics()).toMatch(/^manageos_bp_guard_trips_total\{reason="resume-refused"\} 1$/m);
    await other.production.close();
  });

  it("lets the producer lease decide instead of watching a rotation", async () => {
    const free = setup({ claimWindow: 2_000, wanted: true, leaseHolder: "" });
    await free.production.start();
    await free.feed(6, emptyOurSlots);
    expect(await startOutcome(free.production)).toMatchObject({ state: "resumed" });
    expect(free.chain.calls).toEqual(["resume"]);
    await free.production.close();

    const held = setup({ claimWindow: 2_000, wanted: true, leaseHolder: "node-2" });
    await held.production.start();
    await held.feed(6, emptyOurSlots);
    expect(await startOutcome(held.production)).toMatchObject({ state: "refused", code: "PRD_ERR_LEASE_HELD" });
    await held.feed(60, emptyOurSlots);
    expect(held.chain.calls).toEqual([]);
    await held.production.close();
  });

  it("waits, without producing, while a peer does not answer", async () => {
    const answering = await peerServer("node-2", true);
    const gone = await peerServer("node-3", true);
    await new Promise((resolve) => gone.server.close(resolve));
    try {
      const { chain, production, feed } = setup({ claimWindow: 2_000, wanted: true, peers: [answering.url, gone.url] });
      await production.start();
      await feed(6, emptyOurSlots);
      const waiting = await eventually("the wait for the peers", () =>
        startOf(production)?.state === "waiting-peers" ? startOf(production) : undefined,
      );
      expect(waiting?.reason).toContain(gone.url);
      await feed(60, emptyOurSlots);
      expect(chain.calls).toEqual([]);
      await production.close();
    } finally {
      answering.server.close();
    }
  });
});
