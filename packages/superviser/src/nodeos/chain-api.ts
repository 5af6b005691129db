import type { HeadInfo } from "@manageos/core";
import { asObject, callJson } from "./http-json.js";

/** What `/v1/db_size/get` says, in bytes. */
export interface DbSize {
  freeBytes: number;
  usedBytes: number;
  size: number;
}

/** nodeos times are UTC without a zone: `2023-06-01T12:00:00.500`. */
export function nodeosTimeToIso(time: string): string {
  return /[zZ]|[+-]\d\d:\d\d$/.test(time) ? time : `${time}Z`;
}

/** `POST /v1/chain/get_info`, narrowed to what manageos uses. */
export async function getInfo(baseUrl: string, timeoutMs: number, now = Date.now()): Promise<HeadInfo> {
  const o = asObject(await callJson(`${baseUrl}/v1/chain/get_info`, { timeoutMs }), "get_info");
  const time = typeof o.head_block_time === "string" ? nodeosTimeToIso(o.head_block_time) : undefined;
  return {
    headBlockNum: Number(o.head_block_num),
    headBlockId: typeof o.head_block_id === "string" ? o.head_block_id : undefined,
    headBlockTime: time,
    libNum: typeof o.last_irreversible_block_num === "number" ? o.last_irreversible_block_num : undefined,
    chainId: typeof o.chain_id === "string" ? o.chain_id : undefined,
    serverVersion:
      typeof o.server_version_string === "string"
        ? o.server_version_string
        : typeof o.server_version === "string"
          ? o.server_version
          : undefined,
    observedAt: now,
  };
}

/** `POST /v1/db_size/get`. */
export async function getDbSize(baseUrl: string, timeoutMs: number): Promise<DbSize> {
  const o = asObject(await callJson(`${baseUrl}/v1/db_size/get`, { timeoutMs }), "db_size");
  return { freeBytes: Number(o.free_bytes), usedBytes: Number(o.used_bytes), size: Number(o.size) };
}
