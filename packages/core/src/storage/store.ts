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
  /** Reads an object into `into` (its first `into.length` bytes at most) and returns the object's size; STO_ERR_NOT_FOUND when absent. */
  getInto?(key: string, into: Uint8Array): Promise<number>;
  /** Size and time of an object, undefined when absent. */
  stat(key: string): Promise<StoreObject | undefined>;
  /** Every object whose key starts with `prefix`, in key order. */
  list(prefix: string): AsyncIterable<StoreObject>;
  /** Removes an object; absent is not an error. */
  delete(key: string): Promise<void>;
  /** Removes partial uploads a crashed writer left behind, older than `before`; returns how many. */
  sweep?(before: Date): Promise<number>;
  /** The partial uploads `sweep(before)` would remove, without removing them; `delete` takes their keys. */
  partials?(before: Date): Promise<StoreObject[]>;
  /** Many writes whose durability is settled together (file://); stores without it are written one put at a time. */
  batch?(): StoreBatch;
}

/**
 * Writes of many objects (chunks of one backup) whose directory entries are made durable together.
 * An object becomes visible only once its content is durable; its name is durable once `commit` returns.
 */
export interface StoreBatch {
  /**
   * Writes an object; resolves once `body` has been consumed, so the caller may reuse the buffer.
   * `published` resolves when the object is visible with durable content.
   */
  put(key: string, body: Uint8Array): Promise<{ readonly published: Promise<void> }>;
  /** Waits for every put to be published, then makes their names durable. */
  commit(): Promise<void>;
  /** Waits for writes under way to end, successfully or not (after a failure, before giving up). */
  drain(): Promise<void>;
}

/** A batch for any store: each put is a plain put, durable when it returns. */
export function storeBatch(store: Store): StoreBatch {
  if (store.batch !== undefined) return store.batch();
  return {
    async put(key, body) {
      await store.put(key, body);
      return { published: Promise.resolve() };
    },
    async commit() {},
    async drain() {},
  };
}

/** What `put` accepts: bytes, text, a stream (tried once) or a stream factory (retried). */
export type PutBody = Readable | Uint8Array | string | (() => Readable);
