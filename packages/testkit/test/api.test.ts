import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { APIClient, FetchProvider } from "@wharfkit/antelope";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type NodeosSim, startNodeosSim } from "../src/index.js";

const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$/;

async function post(sim: NodeosSim, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${sim.httpUrl}${path}`, { method: "POST", body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as unknown };
}

describe("nodeos-sim HTTP API", () => {
  let sim: NodeosSim;
  beforeAll(async () => {
    sim = await startNodeosSim({ blockIntervalMs: 20, config: { "p2p-peer-address": ["peer-1:9876", "peer-2:9876"] } });
    await sim.process.waitForLine(/Received block .* #6 @/);
  });
  afterAll(async () => {
    await sim.stop();
  });

  it("answers get_info with nodeos' fields, time format and a head that advances", async () => {
    const { status, json } = await post(sim, "/v1/chain/get_info");
    expect(status).toBe(200);
    const info = json as Record<string, unknown>;
    for (const key of [
      "server_version",
      "chain_id",
      "head_block_num",
      "last_irreversible_block_num",
      "last_irreversible_block_id",
      "head_block_id",
      "head_block_time",
      "head_block_producer",
      "virtual_block_cpu_limit",
      "virtual_block_net_limit",
      "block_cpu_limit",
      "block_net_limit",
      "server_version_string",
      "fork_db_head_block_num",
      "fork_db_head_block_id",
      "server_full_version_string",
      "earliest_available_block_num",
      "last_irreversible_block_time",
    ]) {
      expect(info).toHaveProperty(key);
    }
    expect(info.head_block_time).toMatch(TIME);
    expect(info.last_irreversible_block_time).toMatch(TIME);
    expect(info.chain_id).toMatch(/^[0-9a-f]{64}$/);
    const head = info.head_block_num as number;
    expect((info.head_block_id as string).slice(0, 8)).toBe(head.toString(16).padStart(8, "0"));
    expect(Math.abs(Date.parse(`${info.head_block_time as string}Z`) - Date.now())).toBeLessThan(5000);
    const get = await fetch(`${sim.httpUrl}/v1/chain/get_info`);
    expect(get.status).toBe(200);
    await sim.process.waitForLine(new RegExp(`#${head + 2} @`));
    const later = (await post(sim, "/v1/chain/get_info")).json as { head_block_num: number };
    expect(later.head_block_num).toBeGreaterThan(head);
  });

  it("answers get_block by number and by id, linked to the previous block", async () => {
    const b4 = (await post(sim, "/v1/chain/get_block", { block_num_or_id: 4 })).json as Record<string, unknown>;
    const b5 = (await post(sim, "/v1/chain/get_block", { block_num_or_id: "5" })).json as Record<string, unknown>;
    expect(b5.previous).toBe(b4.id);
    expect(b5.block_num).toBe(5);
    expect((b5.id as string).startsWith("00000005")).toBe(true);
    for (const key of [
      "timestamp",
      "producer",
      "confirmed",
      "transaction_mroot",
      "action_mroot",
      "schedule_version",
      "new_producers",
      "producer_signature",
      "transactions",
      "ref_block_prefix",
    ])
      expect(b5).toHaveProperty(key);
    expect(b5.timestamp).toMatch(TIME);
    expect(b5.producer_signature).toMatch(/^SIG_K1_/);
    const byId = (await post(sim, "/v1/chain/get_block", { block_num_or_id: b5.id })).json;
    expect(byId).toEqual(b5);
    const missing = await post(sim, "/v1/chain/get_block", { block_num_or_id: 99_999_999 });
    expect(missing.status).toBe(400);
    expect(missing.json).toMatchObject({ code: 400, error: { name: "unknown_block_exception" } });
  });

  it("answers unknown paths with nodeos' 404 error shape", async () => {
    const { status, json } = await post(sim, "/v1/chain/no_such_thing");
    expect(status).toBe(404);
    expect(json).toMatchObject({ code: 404, message: "Not Found", error: { code: 0, name: "exception", what: "unspecified" } });
    expect((json as { error: { details: unknown[] } }).error.details[0]).toMatchObject({ message: "Unknown Endpoint" });
  });

  it("serves the producer API: pause, paused, resume, integrity hash, snapshot", async () => {
    expect((await post(sim, "/v1/producer/paused")).json).toBe(false);
    expect((await post(sim, "/v1/producer/pause")).json).toEqual({ result: "ok" });
    expect((await post(sim, "/v1/producer/paused")).json).toBe(true);
    expect((await post(sim, "/v1/producer/resume")).json).toEqual({ result: "ok" });
    expect((await post(sim, "/v1/producer/paused")).json).toBe(false);
    const hash = (await post(sim, "/v1/producer/get_integrity_hash")).json as Record<string, string>;
    expect(hash.integrity_hash).toMatch(/^[0-9a-f]{64}$/);
    const snap = (await post(sim, "/v1/producer/create_snapshot")).json as Record<string, unknown>;
    expect(Object.keys(snap).sort()).toEqual(["head_block_id", "head_block_num", "head_block_time", "snapshot_name", "version"]);
    expect(snap.snapshot_name).toBe(join(sim.dataDir, "snapshots", `snapshot-${snap.head_block_id as string}.bin`));
    expect((await stat(snap.snapshot_name as string)).size).toBeGreaterThan(0);
    expect(await readdir(join(sim.dataDir, "snapshots"))).toEqual([`snapshot-${snap.head_block_id as string}.bin`]);
  });

  it("serves get_producer_schedule, net connections and db_size", async () => {
    const schedule = (await post(sim, "/v1/chain/get_producer_schedule")).json as { active: { producers: { producer_name: string }[] } };
    expect(schedule.active.producers.map((p) => p.producer_name)).toEqual(["eosio"]);
    const peers = (await post(sim, "/v1/net/connections")).json as { peer: string; last_handshake: { head_num: number } }[];
    expect(peers.map((p) => p.peer)).toEqual(["peer-1:9876", "peer-2:9876"]);
    expect(peers[0]!.last_handshake.head_num).toBeGreaterThan(0);
    const db = (await post(sim, "/v1/db_size/get")).json as { size: number; used_bytes: number; free_bytes: number };
    expect(db.size).toBe(64 * 1024 * 1024);
    expect(db.free_bytes + db.used_bytes).toBe(db.size);
  });

  it("is read by @wharfkit/antelope's APIClient without error", async () => {
    const client = new APIClient({ provider: new FetchProvider(sim.httpUrl, { fetch: globalThis.fetch }) });
    const info = await client.v1.chain.get_info();
    expect(info.head_block_num.toNumber()).toBeGreaterThan(1);
    expect(String(info.chain_id)).toMatch(/^[0-9a-f]{64}$/);
    const block = await client.v1.chain.get_block(info.last_irreversible_block_num);
    expect(block.block_num.toNumber()).toBe(info.last_irreversible_block_num.toNumber());
    expect(String(block.id)).toBe(String(info.last_irreversible_block_id));
    const next = await client.v1.chain.get_block(info.last_irreversible_block_num.toNumber() + 1);
    expect(String(next.previous)).toBe(String(block.id));
    expect(block.producer_signature.type).toBe("K1");
  });
});

describe("nodeos-sim API plugins", () => {
  it("serves only the APIs of loaded plugins, like nodeos", async () => {
    const sim = await startNodeosSim({ plugins: ["eosio::chain_api_plugin"] });
    expect((await post(sim, "/v1/chain/get_info")).status).toBe(200);
    expect((await post(sim, "/v1/producer/paused")).status).toBe(404);
    expect((await post(sim, "/v1/net/connections")).status).toBe(404);
    await sim.stop();
  });
});
