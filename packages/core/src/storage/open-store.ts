import { isAbsolute, resolve } from "node:path";
import { StorageErrors } from "./errors.js";
import { FileStore } from "./file-store.js";
import { GcsStore } from "./gcs-store.js";
import { DEFAULT_RETRY, type RetryPolicy } from "./retry.js";
import type { Store } from "./store.js";

/** Options for `openStore`; everything has a default. */
export interface OpenStoreOptions {
  /** Base for `file://./relative` URLs; defaults to process.cwd(). */
  readonly cwd?: string;
  /** gs://: `http://host:port` of a GCS JSON API server (emulator); `STORAGE_EMULATOR_HOST` otherwise. */
  readonly apiEndpoint?: string;
  readonly projectId?: string;
  readonly keyFilename?: string;
  /** Retries of transient failures (config `storage.retries`). */
  readonly retries?: number;
  /** Backoff shape; `retries` above wins over `retry.retries`. */
  readonly retry?: Partial<RetryPolicy>;
}

/** Opens `file:///abs`, `file://./rel` (against cwd) or `gs://bucket/prefix`; STO_ERR_URL otherwise. */
export function openStore(url: string, options: OpenStoreOptions = {}): Store {
  const retry: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry, ...(options.retries === undefined ? {} : { retries: options.retries }) };
  if (url.startsWith("file://")) return new FileStore(filePath(url, options.cwd ?? process.cwd()), { retry });
  if (url.startsWith("gs://")) {
    const rest = url.slice("gs://".length);
    const slash = rest.indexOf("/");
    const bucket = slash === -1 ? rest : rest.slice(0, slash);
    const prefix = slash === -1 ? "" : rest.slice(slash + 1).replace(/\/+$/, "");
    if (!/^[a-z0-9][a-z0-9._-]{1,221}[a-z0-9]$/.test(bucket)) throw StorageErrors.url(url, "bad bucket name");
    if (prefix.split("/").some((s) => s === "." || s === "..") || prefix.includes("//")) throw StorageErrors.url(url, "bad prefix");
    return new GcsStore(bucket, prefix, {
      retry,
      ...(options.apiEndpoint === undefined ? {} : { apiEndpoint: options.apiEndpoint }),
      ...(options.projectId === undefined ? {} : { projectId: options.projectId }),
      ...(options.keyFilename === undefined ? {} : { keyFilename: options.keyFilename }),
    });
  }
  throw StorageErrors.url(url, "expected file:///path, file://./path or gs://bucket/prefix");
}

// file:///abs -> /abs; file://./rel and file://rel -> cwd/rel; file://localhost/abs -> /abs.
function filePath(url: string, cwd: string): string {
  let rest = url.slice("file://".length);
  if (rest.startsWith("localhost/")) rest = rest.slice("localhost".length);
  if (rest === "" || rest === "/") throw StorageErrors.url(url, "no directory");
  let path: string;
  try {
    path = decodeURIComponent(rest);
  } catch (error) {
    throw StorageErrors.url(url, "bad percent-encoding", { cause: error });
  }
  if (path.includes("\0")) throw StorageErrors.url(url, "NUL in path");
  return isAbsolute(path) ? resolve(path) : resolve(cwd, path);
}
