import { SuperviserErrors } from "../errors/index.js";
import { callJson } from "../nodeos/http-json.js";

let nextId = 1;

/** True when the error says the node does not offer the method (e.g. `admin_*` not enabled). */
export function isMethodNotFound(error: unknown): boolean {
  const details = (error as { details?: { rpcCode?: number } }).details;
  return details?.rpcCode === -32601;
}

/** One JSON-RPC 2.0 call over HTTP; a JSON-RPC error becomes SUP_ERR_RPC with its code in details. */
export async function rpcCall(url: string, method: string, params: readonly unknown[], timeoutMs: number): Promise<unknown> {
  const answer = await callJson(url, { timeoutMs, body: { jsonrpc: "2.0", id: nextId++, method, params } });
  if (typeof answer !== "object" || answer === null) throw SuperviserErrors.rpc(method, "answer is not a JSON-RPC object");
  const o = answer as { result?: unknown; error?: { code?: number; message?: string } };
  if (o.error !== undefined) {
    throw SuperviserErrors.rpc(method, o.error.message ?? "error", { details: { rpcCode: o.error.code } });
  }
  return o.result;
}

/** `0x1a` -> 26. */
export function hexToNumber(value: unknown): number {
  if (typeof value !== "string" || !/^0x[0-9a-fA-F]+$/.test(value))
    throw SuperviserErrors.rpc("decode", `not a hex quantity: ${String(value)}`);
  return Number.parseInt(value.slice(2), 16);
}
