import { randomBytes } from "node:crypto";
import { appendFile, mkdir, open, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Backupable, ChainStartOptions, ExitResult, HeadInfo, SnapshotInfo, Snapshotable } from "../src/index.js";
import { CHAIN_ID, InProcessChain } from "./support/memory-chain.js";

export { CHAIN_ID };

/**
 * A node for the backup service's logic tests, in process: a data dir laid out like nodeos'
 * (`blocks/blocks.log` grows a block per tick, `state/shared_memory.bin` carries the dirty flag at
 * byte 8, set while running), start refusing dirty data, SIGKILL leaving it dirty, snapshots. `head` stands
 * for the daemon's cached get_info poll, `headNow()` for get_info asked now.
 * The real nodeos (nodeos-sim) is exercised by the eos app's end-to-end tests.
 */
export class FakeNode extends InProcessChain implements Backupable, Snapshotable {
  readonly starts: ChainStartOptions[] = [];
  stops = 0;
  /** The next start fails with this message (a spawn failure). */
  failStarts = 0;
  /** While held, no block comes on its own: the test drives `tick()` by hand. */
  held = false;
  #num = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly dataDir: string,
    readonly tickMs = 20,
  ) {
    super(false);
  }

  get stateFile(): string {
    return join(this.dataDir, "state", "shared_memory.bin");
  }

  async start(options: ChainStartOptions = {}): Promise<void> {
    if (this.state === "running") throw new Error("already running");
    this.starts.push(options);
    if (this.failStarts > 0) {
      this.failStarts--;
      this.setState("failed");
      throw new Error("spawn failed");
    }
    if (options.replay === undefined && options.snapshot === undefined && (await this.isDataDirty())) {
      this.dirty = true;
      this.setState("failed");
      this.emit("dirty", { source: "offline", dataDir: this.dataDir, detail: "dirty flag" });
      throw Object.assign(new Error("dirty"), { code: "SUP_ERR_DIRTY" });
    }
    await mkdir(join(this.dataDir, "blocks"), { recursive: true });
    await mkdir(join(this.dataDir, "state"), { recursive: true });
    if (options.snapshot !== undefined) {
      const snap = JSON.parse(await readFile(options.snapshot, "utf8")) as { head: number };
      this.#num = snap.head;
    } else {
      this.#num = await this.#logBlocks();
    }
    if (options.replay === "hard") await writeFile(this.stateFile, Buffer.alloc(0));
    await this.#setFlag(1);
    this.dirty = false;
    this.setState("running");
    this.#timer = setInterval(() => {
      if (!this.held) void this.tick();
    }, this.tickMs);
  }

  async stop(): Promise<ExitResult | undefined> {
    if (this.state !== "running") {
      if (this.state !== "stopped") this.setState("stopped");
      return undefined;
    }
    clearInterval(this.#timer);
    this.stops++;
    await this.#setFlag(0);
    this.setState("stopped");
    const exit: ExitResult = { exitCode: 0, signal: undefined, killed: false, timedOut: false, requested: true };
    this.emit("exit", exit);
    return exit;
  }

  /** An unclean end: the flag stays set, as after SIGKILL. */
  kill(): void {
    clearInterval(this.#timer);
    this.setState("failed");
    this.emit("exit", { exitCode: undefined, signal: "SIGKILL", killed: false, timedOut: false, requested: false } satisfies ExitResult);
    this.dirty = true;
    this.emit("dirty", { source: "offline", dataDir: this.dataDir, detail: "dirty after SIGKILL" });
  }

  /**
   * One block: appended to blocks.log and reported as the head, stamped now. With `polled: false` the cached head
   * stays as it was, as when the block comes between two get_info polls.
   */
  async tick(options: { polled?: boolean } = {}): Promise<void> {
    if (this.state !== "running") return;
    this.#num++;
    await appendFile(join(this.dataDir, "blocks", "blocks.log"), blockBytes(this.#num));
    if (options.polled === false) return;
    this.head = this.#liveHead();
    this.emit("head", this.head);
  }

  /** get_info asked now: the block the node is at, not the cached head; undefined when it does not run. */
  async headNow(): Promise<HeadInfo | undefined> {
    return this.state === "running" ? this.#liveHead() : undefined;
  }

  backupPaths(): readonly string[] {
    return ["blocks", "state"];
  }

  async isDataDirty(): Promise<boolean> {
    try {
      const bytes = await readFile(this.stateFile);
      return (bytes[8] ?? 0) !== 0;
    } catch {
      return false;
    }
  }

  async createSnapshot(): Promise<SnapshotInfo> {
    const dir = join(this.dataDir, "snapshots");
    await mkdir(dir, { recursive: true });
    const id = `${this.#num.toString(16).padStart(8, "0")}${"ef".repeat(28)}`;
    const path = join(dir, `snapshot-${id}.bin`);
    await writeFile(path, JSON.stringify({ head: this.#num, pad: randomBytes(512).toString("hex") }));
    return { headBlockId: id, headBlockNum: this.#num, headBlockTime: new Date().toISOString(), version: 6, snapshotName: path };
  }

  // What get_info says now.
  #liveHead(): HeadInfo {
    const now = Date.now();
    return {
      headBlockNum: this.#num,
      headBlockId: `${this.#num.toString(16).padStart(8, "0")}${"cd".repeat(28)}`,
      headBlockTime: new Date(now).toISOString(),
      libNum: Math.max(0, this.#num - 10),
      chainId: CHAIN_ID,
      serverVersion: "v5.0.3",
      observedAt: now,
    };
  }

  // Blocks in blocks.log (fixed 64-byte records).
  async #logBlocks(): Promise<number> {
    try {
      return Math.floor((await readFile(join(this.dataDir, "blocks", "blocks.log"))).length / 64);
    } catch {
      return 0;
    }
  }

  // A sparse 1 MiB state file with the dirty flag at byte 8.
  async #setFlag(value: number): Promise<void> {
    const handle = await open(this.stateFile, "a+");
    try {
      if ((await handle.stat()).size < 1024 * 1024) await handle.truncate(1024 * 1024);
    } finally {
      await handle.close();
    }
    const rw = await open(this.stateFile, "r+");
    try {
      await rw.write(Buffer.from([value]), 0, 1, 8);
    } finally {
      await rw.close();
    }
  }
}

function blockBytes(num: number): Buffer {
  const b = Buffer.alloc(64, num % 251);
  b.writeUInt32BE(num, 0);
  return b;
}
