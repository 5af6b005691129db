import type { ChainState, ExitResult, Logger, LogPlugin } from "@manageos/core";
import type { Clock } from "./clock.js";
import type { RestartOptions } from "./restart-policy.js";
import type { LaunchSpec } from "./spawn-child.js";
import type { TerminateOptions } from "./terminate.js";

/** What the superviser runs and how it treats it. */
export interface SuperviserOptions {
  /** Used in logs: `nodeos`, `geth`, a fixture name. */
  name: string;
  /** The command, or a function computing it before every start (config.ini, dirty check, arguments). */
  launch: LaunchSpec | (() => LaunchSpec | Promise<LaunchSpec>);
  terminate: TerminateOptions;
  restart: RestartOptions;
  maxLineLength: number;
  queueLines: number;
  keepLastLines: number;
  /** Bound on reading the pipes to their end after the exit (milliseconds). */
  drainTimeout?: number;
}

/** What the superviser needs from outside. */
export interface SuperviserDeps {
  logger: Logger;
  plugins?: readonly LogPlugin[];
  clock?: Clock;
}

/** A scheduled restart. */
export interface BackoffEvent {
  attempt: number;
  delayMs: number;
  crashLoop: boolean;
}

/** An exit with how long the child had run. */
export interface SuperviserExit extends ExitResult {
  uptimeMs: number;
}

/** Events of a Superviser. */
export interface SuperviserEventMap {
  state: [next: ChainState, previous: ChainState];
  spawn: [pid: number];
  exit: [result: SuperviserExit];
  backoff: [event: BackoffEvent];
  failure: [error: Error];
}

/** Per-plugin health of the line pipeline. */
export interface PluginStats {
  name: string;
  dropped: number;
  queued: number;
  lagSeconds: number;
}
