import { StorageErrors } from "./errors.js";

/** Checks a store key: relative, `/`-separated, no empty, `.` or `..` segment, no backslash or NUL. */
export function assertKey(key: string): string {
  if (key.length === 0) throw StorageErrors.key(key, "empty");
  if (key.startsWith("/")) throw StorageErrors.key(key, "leading slash");
  if (/[\\\0]/.test(key)) throw StorageErrors.key(key, "backslash or NUL");
  for (const segment of key.split("/")) {
    if (segment === "" || segment === "." || segment === "..") throw StorageErrors.key(key, `bad segment "${segment}"`);
  }
  return key;
}

/** Checks a listing prefix: like a key, but may be empty or end with `/`. */
export function assertPrefix(prefix: string): string {
  if (prefix === "") return prefix;
  assertKey(prefix.endsWith("/") ? prefix.slice(0, -1) : prefix);
  return prefix;
}

/** Joins a store prefix and a key with exactly one `/`. */
export function joinKey(prefix: string, key: string): string {
  if (prefix === "") return key;
  return prefix.endsWith("/") ? `${prefix}${key}` : `${prefix}/${key}`;
}
