import type { Readable } from "node:stream";
import { PassThrough } from "node:stream";
import { pipeline } from "node:stream/promises";
import { type Bucket, Storage } from "@google-cloud/storage";
import { isManageosError } from "../errors/manageos-error.js";
import { bodyStream, isRepeatable } from "./body.js";
import { StorageErrors } from "./errors.js";
import { assertKey, assertPrefix, joinKey } from "./keys.js";
import { type RetryPolicy, TransientError, withRetry } from "./retry.js";
import type { PutBody, PutOptions, Store, StoreObject } from "./store.js";

/** How a gs:// store reaches Google Cloud Storage. */
export interface GcsStoreOptions {
  /** `http://host:port` of a GCS JSON API server; `STORAGE_EMULATOR_HOST` is honoured when absent. */
  readonly apiEndpoint?: string;
  readonly projectId?: string;
  /** A service-account key file; application default credentials otherwise. */
  readonly keyFilename?: string;
  readonly retry: RetryPolicy;
}

// Network failures worth another attempt.
const TRANSIENT_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "ENOTFOUND",
  "ECONNABORTED",
  "UND_ERR_SOCKET",
]);

/** A store in a GCS bucket under a prefix; uploads are single requests (resumable=false), atomic for readers. */
export class GcsStore implements Store {
  readonly url: string;
  private readonly bucket: Bucket;

  constructor(
    bucketName: string,
    private readonly prefix: string,
    private readonly options: GcsStoreOptions,
  ) {
    this.url = `gs://${bucketName}${prefix === "" ? "" : `/${prefix}`}`;
    const storage = new Storage({
      ...(options.apiEndpoint === undefined ? {} : { apiEndpoint: options.apiEndpoint }),
      ...(options.projectId === undefined ? {} : { projectId: options.projectId }),
      ...(options.keyFilename === undefined ? {} : { keyFilename: options.keyFilename }),
      // We retry ourselves, with our bound and our error codes.
      retryOptions: { autoRetry: false },
    });
    this.bucket = storage.bucket(bucketName);
  }

  /** Uploads `key` in one request; a stream factory body is retried, a plain stream is tried once. */
  async put(key: string, body: PutBody, options: PutOptions = {}): Promise<void> {
    const name = this.name(key);
    const policy = isRepeatable(body) ? this.options.retry : { ...this.options.retry, retries: 0 };
    await withRetry(this.keyUrl(key), policy, async () => {
      const file = this.bucket.file(name);
      const writable = file.createWriteStream({
        resumable: false,
        ...(options.contentType === undefined ? {} : { contentType: options.contentType }),
        ...(options.ifAbsent === true ? { preconditionOpts: { ifGenerationMatch: 0 } } : {}),
      });
      try {
        await pipeline(bodyStream(body), writable);
      } catch (error) {
        throw this.mapError(key, error);
      }
    });
  }

  /** Streams `key`; absence is reported here, later failures on the stream as coded errors. */
  async get(key: string): Promise<Readable> {
    await this.requireStat(key);
    const out = new PassThrough();
    const source = this.bucket.file(this.name(key)).createReadStream({ validation: false });
    pipeline(source, out).catch((error: unknown) => {
      const mapped = this.mapError(key, error);
      out.destroy(
        mapped instanceof TransientError ? StorageErrors.unreachable(this.keyUrl(key), 1, mapped.reason, { cause: error }) : mapped,
      );
    });
    return out;
  }

  /** Downloads `key` whole, with retries. */
  async getBytes(key: string): Promise<Buffer> {
    const name = this.name(key);
    return withRetry(this.keyUrl(key), this.options.retry, async () => {
      try {
        const [bytes] = await this.bucket.file(name).download({ validation: false });
        return bytes;
      } catch (error) {
        throw this.mapError(key, error);
      }
    });
  }

  /** Size and update time of `key`, undefined when absent. */
  async stat(key: string): Promise<StoreObject | undefined> {
    try {
      return await this.requireStat(key);
    } catch (error) {
      if (isManageosError(error) && error.code === StorageErrors.notFound.code) return undefined;
      throw error;
    }
  }

  /** Every object under the prefix, in key order, a page at a time. */
  async *list(prefix: string): AsyncIterable<StoreObject> {
    assertPrefix(prefix);
    const full = joinKey(this.prefix, prefix);
    let pageToken: string | undefined;
    do {
      const token = pageToken;
      const [files, next] = await withRetry(this.keyUrl(prefix), this.options.retry, async () => {
        try {
          return await this.bucket.getFiles({
            prefix: full,
            autoPaginate: false,
            maxResults: 1000,
            ...(token === undefined ? {} : { pageToken: token }),
          });
        } catch (error) {
          throw this.mapError(prefix, error);
        }
      });
      for (const file of files) {
        yield { key: this.keyOf(file.name), size: Number(file.metadata.size ?? 0), updatedAt: toDate(file.metadata.updated) };
      }
      pageToken = readPageToken(next);
    } while (pageToken !== undefined);
  }

  /** Removes `key`; absent is fine. */
  async delete(key: string): Promise<void> {
    const name = this.name(key);
    await withRetry(this.keyUrl(key), this.options.retry, async () => {
      try {
        await this.bucket.file(name).delete({ ignoreNotFound: true });
      } catch (error) {
        throw this.mapError(key, error);
      }
    });
  }

  private async requireStat(key: string): Promise<StoreObject> {
    const name = this.name(key);
    return withRetry(this.keyUrl(key), this.options.retry, async () => {
      try {
        const [metadata] = await this.bucket.file(name).getMetadata();
        return { key, size: Number(metadata.size ?? 0), updatedAt: toDate(metadata.updated) };
      } catch (error) {
        throw this.mapError(key, error);
      }
    });
  }

  private name(key: string): string {
    return joinKey(this.prefix, assertKey(key));
  }

  private keyOf(name: string): string {
    return this.prefix === "" ? name : name.slice(this.prefix.length + 1);
  }

  private keyUrl(key: string): string {
    return `${this.url}/${key}`;
  }

  // HTTP status or socket error -> our code, or TransientError for the retry loop.
  private mapError(key: string, error: unknown): Error {
    if (isManageosError(error) || error instanceof TransientError) return error;
    const url = this.keyUrl(key);
    const reason = error instanceof Error ? error.message : String(error);
    const code = (error as { code?: unknown }).code;
    if (typeof code === "number") {
      if (code === 401 || code === 403) return StorageErrors.auth(url, reason, { cause: error });
      if (code === 404) return StorageErrors.notFound(url, { cause: error });
      if (code === 412) return StorageErrors.exists(url, { cause: error });
      if (code === 408 || code === 429 || code >= 500) return new TransientError(`HTTP ${code}: ${reason}`, { cause: error });
      return StorageErrors.io(url, reason, { cause: error });
    }
    if (typeof code === "string" && TRANSIENT_CODES.has(code)) return new TransientError(`${code}: ${reason}`, { cause: error });
    if (/socket hang up|timeout|network|fetch failed/i.test(reason)) return new TransientError(reason, { cause: error });
    if (/could not load the default credentials|invalid_grant|unauthori[sz]ed/i.test(reason))
      return StorageErrors.auth(url, reason, { cause: error });
    return StorageErrors.io(url, reason, { cause: error });
  }
}

function toDate(value: unknown): Date | undefined {
  if (typeof value !== "string" && typeof value !== "number") return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function readPageToken(next: unknown): string | undefined {
  if (typeof next !== "object" || next === null) return undefined;
  const token = (next as { pageToken?: unknown }).pageToken;
  return typeof token === "string" && token !== "" ? token : undefined;
}
