import { STATUS_CODES } from "node:http";
import type { ManageosError } from "../errors/manageos-error.js";

/** nodeos' error object, which eosjs and wharfkit read their message from. */
export interface NodeosError {
  readonly code: number;
  readonly name: string;
  readonly what: string;
  readonly details: ReadonlyArray<{ message: string; file: string; line_number: number; method: string }>;
}

/** What the proxy answers an error with: manageos' `{code, message, details?}`, and nodeos' `error` beside it. */
export type ProxyErrorBody = ReturnType<ManageosError["toJSON"]> & { readonly error: NodeosError };

/**
 * The body of an error the proxy answers itself. `code` stays manageos' string code (what manageos' clients read);
 * `error` is nodeos' shape, with the HTTP status as its code and the message as its `what` and first detail, so that
 * a chain client shows the message instead of only the status.
 */
export function proxyErrorBody(error: ManageosError, status: number): ProxyErrorBody {
  const detail = { message: error.message, file: "", line_number: 0, method: "" };
  return { ...error.toJSON(), error: { code: status, name: error.code, what: error.message, details: [detail] } };
}

/** A whole HTTP/1.1 error answer that closes the connection, for the places that write to a socket themselves. */
export function rawErrorAnswer(status: number, error: ManageosError, headers = ""): string {
  const body = JSON.stringify(proxyErrorBody(error, status));
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${headers}connection: close\r\n\r\n${body}`;
}
