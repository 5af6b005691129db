import { createHash } from "node:crypto";
import { formatTime } from "../fc-log.js";
import { stateFileSize } from "../state-file.js";
import type { NodeContext } from "./context.js";
import type { Reply } from "./nodeos-error.js";
import type { Route } from "./server.js";

/** net_api_plugin: connections, connect, disconnect. Peers are the configured p2p-peer-address values. */
export function netRoutes(ctx: NodeContext): [string, Route][] {
  return [
    ["/v1/net/connections", () => ok(ctx.peers.map((peer) => connection(ctx, peer)))],
    [
      "/v1/net/connect",
      (body) => {
        if (typeof body !== "string") return ok("invalid peer address");
        if (ctx.peers.includes(body)) return ok("already connected");
        ctx.peers.push(body);
        return ok("added connection");
      },
    ],
    [
      "/v1/net/disconnect",
      (body) => {
        const i = typeof body === "string" ? ctx.peers.indexOf(body) : -1;
        if (i === -1) return ok("no known connection for host");
        ctx.peers.splice(i, 1);
        return ok("connection removed");
      },
    ],
  ];
}

/** db_size_api_plugin: sizes of the state file. */
export function dbSizeRoutes(ctx: NodeContext): [string, Route][] {
  return [
    [
      "/v1/db_size/get",
      async () => {
        const { size, used } = await stateFileSize(ctx.stateFile);
        return ok({
          free_bytes: Math.max(0, size - used),
          used_bytes: used,
          reserved_bytes: 0,
          size,
          indices: [
            { index: "eosio::chain::account_index", row_count: 10 },
            { index: "eosio::chain::block_summary_multi_index", row_count: 65536 },
          ],
        });
      },
    ],
  ];
}

/** The node_api's list of the paths this node serves. */
export function supportedApisRoute(paths: () => string[]): [string, Route] {
  return ["/v1/node/get_supported_apis", () => ok({ apis: paths() })];
}

function ok(body: unknown): Reply {
  return { status: 200, body };
}

function connection(ctx: NodeContext, peer: string): Record<string, unknown> {
  const head = ctx.chain.head;
  const lib = ctx.chain.lib;
  const nodeId = createHash("sha256").update(peer).digest("hex");
  return {
    peer,
    remote_ip: peer.split(":")[0] ?? peer,
    remote_port: peer.split(":")[1] ?? "9876",
    connecting: false,
    syncing: false,
    is_bp_peer: false,
    is_socket_open: true,
    is_blocks_only: false,
    is_transactions_only: false,
    last_handshake: {
      network_version: 1212,
      chain_id: ctx.chain.options.chainId,
      node_id: nodeId,
      key: "EOS1111111111111111111111111111111114T1Anm",
      time: String(BigInt(Date.now()) * 1_000_000n),
      token: "0".repeat(64),
      sig: "SIG_K1_111111111111111111111111111111111111111111111111111111111111111116uk5ne",
      p2p_address: `${peer} - ${nodeId.slice(0, 7)}`,
      last_irreversible_block_num: lib,
      last_irreversible_block_id: ctx.chain.idOf(lib) ?? head.id,
      head_num: head.num,
      head_id: head.id,
      os: "linux",
      agent: "EOS Test Agent",
      generation: 1,
    },
    last_handshake_time: formatTime(Date.now()),
  };
}
