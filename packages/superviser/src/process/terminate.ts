import type { Logger } from "@manageos/core";
import type { Clock } from "./clock.js";
import type { RawExit } from "./spawn-child.js";

/** The stop policy: TERM, repeated every `termRetryInterval`, KILL to the group after `killAfter`. */
export interface TerminateOptions {
  termRetryInterval: number;
  killAfter: number;
}

/** How the stop went. */
export interface TerminateOutcome {
  killed: boolean;
  timedOut: boolean;
  termsSent: number;
}

/** Stops a child: SIGTERM, bounded waits, SIGTERM again, SIGKILL to its process group as a last resort. */
export async function terminate(
  pid: number,
  exited: Promise<RawExit>,
  opts: TerminateOptions,
  deps: { clock: Clock; logger: Logger },
): Promise<TerminateOutcome> {
  const { clock, logger } = deps;
  const started = clock.now();
  let termsSent = 0;
  let done = false;
  void exited.then(() => {
    done = true;
  });
  for (;;) {
    if (done) return { killed: false, timedOut: false, termsSent };
    const elapsed = clock.now() - started;
    if (elapsed >= opts.killAfter) break;
    if (signal(pid, "SIGTERM")) termsSent++;
    if (termsSent > 1) logger.warn({ pid, termsSent, elapsedMs: elapsed }, "child still running; SIGTERM again");
    const wait = Math.min(opts.termRetryInterval, opts.killAfter - elapsed);
    await raceTimer(exited, wait, clock);
  }
  if (done) return { killed: false, timedOut: false, termsSent };
  logger.error(
    { pid, termsSent, killAfterMs: opts.killAfter },
    "child ignored SIGTERM; sending SIGKILL to its process group (its data may need a replay)",
  );
  signal(-pid, "SIGKILL");
  await exited;
  return { killed: true, timedOut: true, termsSent };
}

// Sends a signal; false when the process (group) is already gone.
function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}

// Waits for the exit or the time, whichever is first, leaving no timer behind.
async function raceTimer(exited: Promise<RawExit>, ms: number, clock: Clock): Promise<void> {
  let handle: unknown;
  const timer = new Promise<void>((resolve) => {
    handle = clock.setTimeout(resolve, ms);
  });
  await Promise.race([exited.then(() => undefined), timer]);
  clock.clearTimeout(handle);
}
