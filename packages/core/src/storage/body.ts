import { Readable } from "node:stream";
import type { PutBody } from "./store.js";

/** True when a put body can be produced again for a retry. */
export function isRepeatable(body: PutBody): boolean {
  return !(body instanceof Readable);
}

/** A fresh readable for one attempt of a put. */
export function bodyStream(body: PutBody): Readable {
  if (typeof body === "function") return body();
  if (body instanceof Readable) return body;
  return Readable.from([typeof body === "string" ? Buffer.from(body) : body]);
}
