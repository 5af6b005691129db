import { afterAll, onTestFinished } from "vitest";

type Cleanup = () => Promise<unknown> | unknown;

const pending = new Set<Cleanup>();
let exitHookInstalled = false;

// One hook per test file, registered while the file is collected (it imports this module): it runs after the
// file's own afterAll hooks (hooks run in reverse order), so processes are stopped before their dirs go. A hook
// registered from inside a running beforeAll is accepted by vitest but never run, hence this one.
try {
  afterAll(async () => {
    for (const fn of [...pending].reverse()) {
      pending.delete(fn);
      await Promise.resolve()
        .then(fn)
        .catch(() => undefined);
    }
  });
} catch {
  // Imported outside vitest's collection (a bench script): the exit hook is all there is.
}

/**
 * Runs `fn` when the current test finishes, or after the file's tests when called outside a test (at the top
 * level or in beforeAll); anything still pending at process exit is run synchronously as a last resort.
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
    // Not inside a test: the file-level hook above runs it.
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
