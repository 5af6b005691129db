import { blockNumOfId, blockTimestampSlot, type SimBlock, slotTimeMs } from "../block.js";
import { formatTime } from "../fc-log.js";
import { type NodeContext, serverVersionHash } from "./context.js";
import { badRequest, type Reply, unknownBlock } from "./nodeos-error.js";
import type { Route } from "./server.js";

/** chain_api_plugin: get_info, get_block, get_producer_schedule. */
export function chainRoutes(ctx: NodeContext): [string, Route][] {
  return [
    ["/v1/chain/get_info", () => ok(getInfo(ctx))],
    ["/v1/chain/get_block", (body) => getBlock(ctx, body)],
    ["/v1/chain/get_producer_schedule", () => ok(producerSchedule(ctx))],
  ];
}

function ok(body: unknown): Reply {
  return { status: 200, body };
}

function getInfo(ctx: NodeContext): Record<string, unknown> {
  const { chain } = ctx;
  const head = chain.head;
  const lib = chain.lib;
  return {
    server_version: serverVersionHash(ctx.serverVersion),
    chain_id: chain.options.chainId,
    head_block_num: head.num,
    last_irreversible_block_num: lib,
    last_irreversible_block_id: chain.idOf(lib) ?? head.id,
    head_block_id: head.id,
    head_block_time: formatTime(head.timeMs),
    head_block_producer: head.producer,
    virtual_block_cpu_limit: 200000000,
    virtual_block_net_limit: 1048576000,
    block_cpu_limit: 200000,
    block_net_limit: 1048576,
    server_version_string: ctx.serverVersion,
    fork_db_head_block_num: head.num,
    fork_db_head_block_id: head.id,
    server_full_version_string: `${ctx.serverVersion}-${serverVersionHash(ctx.serverVersion)}`,
    total_cpu_weight: "0",
    total_net_weight: "0",
    earliest_available_block_num: chain.firstBlockNum,
    last_irreversible_block_time: formatTime(chain.timeOf(lib)),
  };
}

/** get_block's answer, shaped like nodeos' (header fields, id, block_num, ref_block_prefix). */
export function blockJson(block: SimBlock): Record<string, unknown> {
  return {
    timestamp: formatTime(slotTimeMs(blockTimestampSlot(block.timeMs))),
    producer: block.producer,
    confirmed: block.confirmed,
    previous: block.previous,
    transaction_mroot: block.transactionMroot,
    action_mroot: block.actionMroot,
    schedule_version: block.scheduleVersion,
    new_producers: null,
    header_extensions: [],
    producer_signature: block.signature,
    transactions: [],
    // Empty block_extensions are left out: @wharfkit/antelope 1.2.0 cannot decode the field when present.
    id: block.id,
    block_num: block.num,
    ref_block_prefix: Buffer.from(block.id, "hex").readUInt32LE(8),
  };
}

function getBlock(ctx: NodeContext, body: unknown): Reply {
  const ref = typeof body === "object" && body !== null ? (body as Record<string, unknown>).block_num_or_id : undefined;
  if (typeof ref !== "string" && typeof ref !== "number") return badRequest("missing block_num_or_id");
  const text = String(ref).trim();
  let num: number;
  if (/^[0-9a-fA-F]{64}$/.test(text)) num = blockNumOfId(text.toLowerCase());
  else if (/^\d+$/.test(text)) num = Number(text);
  else return badRequest(`Invalid block_num_or_id: ${text}`);
  const block = ctx.chain.block(num);
  if (block === undefined || (text.length === 64 && block.id !== text.toLowerCase())) return unknownBlock(text);
  return ok(blockJson(block));
}

function producerSchedule(ctx: NodeContext): Record<string, unknown> {
  const o = ctx.chain.options;
  return {
    active: {
      version: o.clusterDir === undefined ? 0 : 1,
      producers: o.producers.map((p) => ({
        producer_name: p,
        authority: [0, { threshold: 1, keys: [{ key: "EOS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV", weight: 1 }] }],
      })),
    },
    pending: null,
    proposed: null,
  };
}
