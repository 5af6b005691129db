import type { Readable } from "node:stream";

/** One object in a store. */
export interface StoreObject {
  /** Key relative to the store's root, `/`-separated, no leading slash. */
  readonly key: string;
  readonly size: number;
  readonly updatedAt: Date | undefined;
}

/** Options for writing one object. */
export interface PutOptions {
  /** Refuse (STO_ERR_EXISTS) when the key exists already. */
  readonly ifAbsent?: boolean;
  readonly contentType?: string;
}

/**
 * Object storage as manageos uses it: `file://` and `gs://` implement it.
 * An object becomes visible only once it is complete; streams, not buffers.
 */
export interface Store {
  /** The URL this store was opened with, credentials removed. */
  readonly url: string;
  /**
   * Writes an object from a stream or bytes; visible to readers only when whole.
   * A function body is called once per attempt, so a stream can be retried.
   */
  put(key: string, body: PutBody, options?: PutOptions): Promise<void>;
  /** Reads an object as a stream; STO_ERR_NOT_FOUND when absent. */
  get(key: string): Promise<Readable>;
  /** Reads a whole (small) object; STO_ERR_NOT_FOUND when absent. */
  getBytes(key: string): Promise<Buffer>;
  /** Size and time of an object, undefined when absent. */
  stat(key: string): Promise<StoreObject | undefined>;
  /** Every object whose key starts with `prefix`, in key order. */
  list(prefix: string): AsyncIterable<StoreObject>;
  /** Removes an object; absent is not an error. */
  delete(key: string): Promise<void>;
  /** Removes partial uploads a crashed writer left behind, older than `before`; returns how many. */
  sweep?(before: Date): Promise<number>;
}

/** What `put` accepts: bytes, text, a stream (tried once) or a stream factory (retried). */
export type PutBody = Readable | Uint8Array | string | (() => Readable);
