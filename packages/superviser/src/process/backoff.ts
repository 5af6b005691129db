/** The restart policy's timing. */
export interface BackoffOptions {
  /** Milliseconds before the first restart. */
  backoffBase: number;
  /** The longest wait between restarts. */
  backoffCap: number;
}

/** The wait before restart number `attempt` (1-based): base, 2x base, 4x base..., capped. */
export function backoffDelay(attempt: number, opts: BackoffOptions): number {
  const exponent = Math.max(0, attempt - 1);
  // 2^31 x base overflows nothing useful; cap the exponent before the multiplication.
  const delay = opts.backoffBase * 2 ** Math.min(exponent, 31);
  return Math.min(opts.backoffCap, delay);
}
