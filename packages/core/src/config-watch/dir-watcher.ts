import { createHash } from "node:crypto";
import { EventEmitter } from "node:events";
import { type FSWatcher, watch } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";

/** The content of a watched directory: file name -> sha256 of its content (read through symlinks). */
export type DirFingerprint = ReadonlyMap<string, string>;

/** What a change reports: the names whose content changed, appeared or went away. */
export interface DirChange {
  readonly dir: string;
  readonly changed: readonly string[];
}

/** Where to watch and how long to wait for quiet. */
export interface ConfigDirWatcherOptions {
  readonly dir: string;
  /** Quiet time after the last event before the change is reported. */
  readonly debounceMs: number;
  /** A re-read this often catches events the file system did not deliver. */
  readonly pollMs?: number;
}

/** Hashes the visible files of `dir`; dot entries (Kubernetes' `..data`, temp files) are skipped, symlinks followed. */
export async function fingerprintDir(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return out;
    throw error;
  }
  for (const name of names.sort()) {
    // `..data`, `..<timestamp>` (Kubernetes) and `.name.tmp` files being written are not config files.
    if (name.startsWith(".")) continue;
    try {
      const content = await readFile(join(dir, name));
      out.set(name, createHash("sha256").update(content).digest("hex"));
    } catch {
      // A directory, or a link left dangling for an instant: not a config file.
    }
  }
  return out;
}

/** Names whose hash differs between two fingerprints. */
export function changedNames(before: DirFingerprint, after: DirFingerprint): string[] {
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names].filter((n) => before.get(n) !== after.get(n)).sort();
}

/**
 * Watches a mounted config directory. Kubernetes swaps the `..data` symlink in one rename, so a change shows as
 * directory events; each event restarts the quiet timer, and one `change` is reported once the content settled.
 */
export class ConfigDirWatcher extends EventEmitter<{ change: [DirChange] }> {
  readonly #opts: ConfigDirWatcherOptions;
  readonly #logger: Logger;
  #reported: DirFingerprint = new Map();
  #watcher: FSWatcher | undefined;
  #poll: NodeJS.Timeout | undefined;
  #quiet: NodeJS.Timeout | undefined;
  #closed = false;
  #checking: Promise<void> = Promise.resolve();

  constructor(opts: ConfigDirWatcherOptions, deps: { logger: Logger }) {
    super();
    this.#opts = opts;
    this.#logger = deps.logger.child({ module: "config-watch", dir: opts.dir });
  }

  /** Takes the current content as the baseline and starts watching. */
  async start(): Promise<void> {
    this.#reported = await fingerprintDir(this.#opts.dir);
    try {
      this.#watcher = watch(this.#opts.dir, () => this.#touch());
      this.#watcher.on("error", (error) => this.#logger.warn({ err: error }, "directory watch failed; polling only"));
    } catch (error) {
      this.#logger.warn({ err: error }, "cannot watch the directory; polling only");
    }
    this.#poll = setInterval(() => void this.#pollOnce(), this.#opts.pollMs ?? 2_000);
    this.#poll.unref();
    this.#logger.info({ files: [...this.#reported.keys()] }, "watching the config directory");
  }

  /** Stops watching; a pending change is dropped. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#watcher?.close();
    clearInterval(this.#poll);
    clearTimeout(this.#quiet);
    await this.#checking;
  }

  // Any event restarts the quiet timer: a burst of changes gives one report.
  #touch(): void {
    if (this.#closed) return;
    clearTimeout(this.#quiet);
    this.#quiet = setTimeout(() => {
      this.#quiet = undefined;
      this.#checking = this.#checking.then(() => this.#settle());
    }, this.#opts.debounceMs);
  }

  async #pollOnce(): Promise<void> {
    if (this.#closed || this.#quiet !== undefined) return;
    const now = await fingerprintDir(this.#opts.dir).catch(() => undefined);
    if (now !== undefined && changedNames(this.#reported, now).length > 0) this.#touch();
  }

  async #settle(): Promise<void> {
    if (this.#closed) return;
    const now = await fingerprintDir(this.#opts.dir);
    const changed = changedNames(this.#reported, now);
    if (changed.length === 0) return;
    this.#reported = now;
    this.#logger.info({ changed }, "config directory changed");
    this.emit("change", { dir: this.#opts.dir, changed });
  }
}
