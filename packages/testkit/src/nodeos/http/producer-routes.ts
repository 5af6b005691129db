import { createHash } from "node:crypto";
import { formatTime } from "../fc-log.js";
import { writeSnapshot } from "../snapshot.js";
import type { NodeContext } from "./context.js";
import type { Reply } from "./nodeos-error.js";
import type { Route } from "./server.js";

/** producer_api_plugin: pause, resume, paused, create_snapshot, get_integrity_hash, get_runtime_options. */
export function producerRoutes(ctx: NodeContext, onPause: (paused: boolean) => void): [string, Route][] {
  const set = (paused: boolean): Reply => {
    ctx.chain.setPaused(paused);
    onPause(paused);
    return ok({ result: "ok" });
  };
  return [
    ["/v1/producer/pause", () => set(true)],
    ["/v1/producer/resume", () => set(false)],
    ["/v1/producer/paused", () => ok(ctx.chain.paused)],
    ["/v1/producer/create_snapshot", () => createSnapshot(ctx)],
    ["/v1/producer/get_integrity_hash", () => integrityHash(ctx)],
    ["/v1/producer/get_runtime_options", () => ok(runtimeOptions())],
  ];
}

function ok(body: unknown): Reply {
  return { status: 200, body };
}

async function createSnapshot(ctx: NodeContext): Promise<Reply> {
  const { chain } = ctx;
  const head = chain.head;
  const path = await writeSnapshot(ctx.snapshotsDir, {
    chainId: chain.options.chainId,
    genesisTimeMs: chain.options.genesisTimeMs,
    headNum: head.num,
    headId: head.id,
    headTimeMs: head.timeMs,
    headProducer: head.producer,
  });
  return ok({
    head_block_id: head.id,
    head_block_num: head.num,
    head_block_time: formatTime(head.timeMs),
    // Spring writes snapshot format v7, leap 5 v6.
    version: ctx.spring ? 7 : 6,
    snapshot_name: path,
  });
}

function integrityHash(ctx: NodeContext): Reply {
  const head = ctx.chain.head;
  const hash = createHash("sha256").update(`${ctx.chain.options.chainId}:${head.id}`).digest("hex");
  return ok({ head_block_id: head.id, integrity_hash: hash });
}

function runtimeOptions(): Record<string, unknown> {
  return {
    max_transaction_time: 30,
    max_irreversible_block_age: -1,
    produce_time_offset_us: -100000,
    last_block_time_offset_us: -200000,
    max_scheduled_transaction_time_per_block_ms: 100,
    subjective_cpu_leeway_us: 31000,
    incoming_defer_ratio: 1,
    greylist_limit: 1000,
  };
}
