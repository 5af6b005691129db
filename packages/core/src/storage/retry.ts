import { setTimeout as sleepMs } from "node:timers/promises";
import { StorageErrors } from "./errors.js";

/** How often and how fast a transient storage failure is retried. */
export interface RetryPolicy {
  /** Retries after the first attempt; 0 tries once. */
  readonly retries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Injected in tests; defaults to a real timer. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Injected in tests; defaults to Math.random. */
  readonly random?: () => number;
}

/** The default: 5 retries, 200 ms doubling up to 10 s, full jitter. */
export const DEFAULT_RETRY: RetryPolicy = { retries: 5, baseDelayMs: 200, maxDelayMs: 10_000 };

/** An error a retry may cure (network trouble, 5xx, 429), as classified by a backend. */
export class TransientError extends Error {
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
    this.name = "TransientError";
  }
}

/** Runs `op`, retrying TransientErrors with exponential backoff and jitter; gives up with STO_ERR_UNREACHABLE. */
export async function withRetry<T>(url: string, policy: RetryPolicy, op: (attempt: number) => Promise<T>): Promise<T> {
  const sleep = policy.sleep ?? ((ms: number) => sleepMs(ms));
  const random = policy.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await op(attempt);
    } catch (error) {
      if (!(error instanceof TransientError)) throw error;
      if (attempt > policy.retries) throw StorageErrors.unreachable(url, attempt, error.reason, { cause: error.cause ?? error });
      const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      await sleep(Math.round(cap * random()));
    }
  }
}
