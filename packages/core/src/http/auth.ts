import { createHash, timingSafeEqual } from "node:crypto";

const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** True when the method changes something and so needs the token. */
export function isMutating(method: string): boolean {
  return MUTATING.has(method.toUpperCase());
}

/** Compares an Authorization header with the token in constant time. */
export function authorized(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  if (!match) return false;
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(match[1] as string), digest(token));
}

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
}
