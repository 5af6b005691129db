import type { HeadInfo } from "@manageos/core";
import { hexToNumber, isMethodNotFound, rpcCall } from "./rpc.js";

/** What one poll of a geth node learnt. */
export interface GethPoll {
  head: HeadInfo;
  syncing: boolean;
  peers: number | undefined;
  miner: string | undefined;
}

/** Polls eth_blockNumber, the head block, eth_syncing and net_peerCount (optional on dev nodes). */
export async function pollGeth(url: string, timeoutMs: number, known: { chainId?: string; version?: string }): Promise<GethPoll> {
  const num = hexToNumber(await rpcCall(url, "eth_blockNumber", [], timeoutMs));
  const block = (await rpcCall(url, "eth_getBlockByNumber", [`0x${num.toString(16)}`, false], timeoutMs)) as {
    hash?: string;
    timestamp?: string;
    miner?: string;
  } | null;
  const syncing = (await rpcCall(url, "eth_syncing", [], timeoutMs)) !== false;
  let peers: number | undefined;
  try {
    peers = hexToNumber(await rpcCall(url, "net_peerCount", [], timeoutMs));
  } catch (error) {
    if (!isMethodNotFound(error)) throw error;
  }
  if (known.chainId === undefined) known.chainId = String(hexToNumber(await rpcCall(url, "eth_chainId", [], timeoutMs)));
  if (known.version === undefined) known.version = String(await rpcCall(url, "web3_clientVersion", [], timeoutMs));
  const time = block?.timestamp === undefined ? undefined : new Date(hexToNumber(block.timestamp) * 1000).toISOString();
  return {
    head: {
      headBlockNum: num,
      headBlockId: block?.hash,
      headBlockTime: time,
      chainId: known.chainId,
      serverVersion: known.version,
      observedAt: Date.now(),
    },
    syncing,
    peers,
    miner: block?.miner,
  };
}

/** The node's enode URL from admin_nodeInfo; undefined when the admin API is off. */
export async function gethEnode(url: string, timeoutMs: number): Promise<string | undefined> {
  try {
    const info = (await rpcCall(url, "admin_nodeInfo", [], timeoutMs)) as { enode?: string } | null;
    return info?.enode;
  } catch (error) {
    if (isMethodNotFound(error)) return undefined;
    throw error;
  }
}
