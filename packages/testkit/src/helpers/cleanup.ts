import { afterAll, onTestFinished } from "vitest";

type Cleanup = () => Promise<unknown> | unknown;

const pending = new Set<Cleanup>();
let exitHookInstalled = false;

/**
 * Runs `fn` when the current test finishes, or after the file's tests when called outside a test;
 * anything still pending at process exit is run synchronously as a last resort.
 */
export function registerCleanup(fn: Cleanup, syncFallback?: () => void): void {
  const once = async () => {
    if (!pending.delete(fn)) return;
    await fn();
  };
  pending.add(fn);
  try {
    onTestFinished(once);
  } catch {
    try {
      afterAll(once);
    } catch {
      // Outside vitest's collection: the exit hook is all there is.
    }
  }
  if (syncFallback !== undefined) installExitHook(fn, syncFallback);
}

/** Marks a cleanup as done by its owner (stopped or removed explicitly). */
export function forgetCleanup(fn: Cleanup): void {
  pending.delete(fn);
}

const syncFallbacks = new Map<Cleanup, () => void>();

function installExitHook(fn: Cleanup, sync: () => void): void {
  syncFallbacks.set(fn, sync);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const [f, s] of syncFallbacks) if (pending.has(f)) s();
  });
}
