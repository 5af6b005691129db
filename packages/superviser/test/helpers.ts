import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createLogger, type Logger } from "@manageos/core";
import type { Clock } from "../src/process/clock.js";

/** Absolute path of a fixture script. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
}

/** A logger whose JSON lines are kept in memory. */
export function memoryLogger(level = "debug"): { logger: Logger; records: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  const logger = createLogger({ level, format: "json", destination: { write: (s: string) => void lines.push(s) } });
  return { logger, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** A logger that prints nothing. */
export function quietLogger(): Logger {
  return createLogger({ level: "silent", format: "json", destination: { write: () => undefined } });
}

/** A clock whose timers fire only when the test says so; `now` moves with advance(). */
export class ManualClock implements Clock {
  private time = 1_000_000;
  private nextId = 1;
  readonly timers = new Map<number, { at: number; fn: () => void; ms: number }>();

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + ms, fn, ms });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Moves time on and fires the timers that fall due. */
  advance(ms: number): void {
    this.time += ms;
    for (const [id, timer] of [...this.timers]) {
      if (timer.at <= this.time) {
        this.timers.delete(id);
        timer.fn();
      }
    }
  }

  /** Delays of the pending timers. */
  pending(): number[] {
    return [...this.timers.values()].map((t) => t.ms);
  }
}

/** A fresh temp dir and its remover. */
export async function tempDir(prefix = "sup-"): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Waits for an event whose arguments satisfy the predicate. */
export function waitFor<T extends unknown[]>(
  emitter: NodeJS.EventEmitter,
  event: string,
  predicate: (...args: T) => boolean = () => true,
): Promise<T> {
  return new Promise((resolve) => {
    const listener = (...args: unknown[]) => {
      if (!predicate(...(args as T))) return;
      emitter.off(event, listener);
      resolve(args as T);
    };
    emitter.on(event, listener);
  });
}
