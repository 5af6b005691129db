import { describe, expect, it } from "vitest";
import { DEFAULT_PROXY_DENY, DenyList, ProxyGate, SyncTracker } from "../src/index.js";

describe("deny list", () => {
  const deny = new DenyList(DEFAULT_PROXY_DENY);
  it("keeps admin APIs off the public port however the path is spelled", () => {
    for (const url of [
      "/v1/producer/pause",
      "/v1/producer/pause?x=1",
      "/v1//producer/pause",
      "/v1/chain/../producer/resume",
      "/v1/%70roducer/pause",
      "/v1%2Fproducer%2Fpause",
      "/V1/PRODUCER/pause",
      "/v1/net/connections",
      "/v1/db_size/get",
      "/v1/debug/foo",
      "/v1/producer",
    ]) {
      expect(deny.denies(url), url).toBe(true);
    }
  });
  it("lets the public chain API through", () => {
    for (const url of ["/v1/chain/get_info", "/v1/chain/get_block", "/v1/producers", "/v1/history/get_actions"]) {
      expect(deny.denies(url), url).toBe(false);
    }
  });
});

describe("proxy gate", () => {
  it("opens only when every reason is gone, and says why it is closed", () => {
    const gate = new ProxyGate();
    const changes: boolean[] = [];
    gate.on("change", (s) => changes.push(s.open));
    expect(gate.status()).toMatchObject({ open: false, reasons: ["stopped", "not-synced"] });
    gate.release("stopped");
    gate.close("backup");
    gate.release("not-synced");
    expect(gate.isOpen).toBe(false);
    expect(gate.status().reasons).toEqual(["backup"]);
    gate.release("backup");
    expect(gate.isOpen).toBe(true);
    expect(changes.at(-1)).toBe(true);
  });
});

describe("sync tracker", () => {
  const interval = 500;
  it("is synced when the head is recent and advancing", () => {
    const sync = new SyncTracker({ maxLag: 10_000, blockInterval: interval });
    const t0 = 1_700_000_000_000;
    expect(sync.notSyncedReason(t0)).toBe("no head observed yet");
    sync.observe({ num: 10, time: t0, at: t0 });
    expect(sync.isSynced(t0)).toBe(false);
    sync.observe({ num: 12, time: t0 + 1000, at: t0 + 1000 });
    expect(sync.isSynced(t0 + 1000)).toBe(true);
  });

  it("is not synced while the head is old (replaying), nor when it is stuck", () => {
    const sync = new SyncTracker({ maxLag: 10_000, blockInterval: interval });
    const now = 1_700_000_000_000;
    sync.observe({ num: 10, time: now - 3_600_000, at: now - 1000 });
    sync.observe({ num: 500, time: now - 3_000_000, at: now });
    expect(sync.notSyncedReason(now)).toMatch(/^head block 500 is 3000\.0s old$/);

    const stuck = new SyncTracker({ maxLag: 10_000, blockInterval: interval });
    for (let i = 0; i < 30; i++) stuck.observe({ num: 42, time: now - 2000, at: now - 15_000 + i * 500 });
    expect(stuck.notSyncedReason(now)).toBe("head stuck at block 42");
  });

  it("goes unsynced when observations stop", () => {
    const sync = new SyncTracker({ maxLag: 2000, blockInterval: interval });
    const t0 = 1_700_000_000_000;
    sync.observe({ num: 1, time: t0, at: t0 });
    sync.observe({ num: 2, time: t0 + 500, at: t0 + 500 });
    expect(sync.isSynced(t0 + 600)).toBe(true);
    expect(sync.isSynced(t0 + 5000)).toBe(false);
  });
});
