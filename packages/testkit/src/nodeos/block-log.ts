import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, writeSync } from "node:fs";
import { join } from "node:path";
import { TestkitErrors } from "../errors.js";

const VERSION = 3;
const TOTEM = 0xffffffffffffffffn;
const HEADER_BYTES = 4 + 4 + 32 + 8 + 8;

/** What the block log's preamble records. */
export interface BlockLogPreamble {
  readonly firstBlockNum: number;
  readonly chainId: string;
  readonly genesisTimeMs: number;
}

/**
 * `blocks/blocks.log` and `blocks/blocks.index` in nodeos' layout: a preamble, then each packed
 * signed_block followed by its uint64 start offset; the index holds one uint64 offset per block.
 * The preamble keeps the chain id and, in place of the genesis state, the simulated genesis time.
 */
export class BlockLog {
  private constructor(
    private readonly logFd: number,
    private readonly indexFd: number,
    readonly preamble: BlockLogPreamble,
    private count: number,
    private logSize: number,
  ) {}

  /** The paths of the log and its index. */
  static paths(dataDir: string): { dir: string; log: string; index: string } {
    const dir = join(dataDir, "blocks");
    return { dir, log: join(dir, "blocks.log"), index: join(dir, "blocks.index") };
  }

  /** True when a block log with at least its preamble exists. */
  static exists(dataDir: string): boolean {
    return existsSync(BlockLog.paths(dataDir).log);
  }

  /** Opens the log, creating it with `preamble` when absent; a torn tail from a kill is cut off. */
  static open(dataDir: string, preamble: BlockLogPreamble): BlockLog {
    const p = BlockLog.paths(dataDir);
    mkdirSync(p.dir, { recursive: true });
    const fresh = !existsSync(p.log);
    const logFd = openSync(p.log, fresh ? "w+" : "r+");
    const indexFd = openSync(p.index, fresh ? "w+" : existsSync(p.index) ? "r+" : "w+");
    if (fresh) {
      writeSync(logFd, encodePreamble(preamble), 0, HEADER_BYTES, 0);
      ftruncateSync(indexFd, 0);
      return new BlockLog(logFd, indexFd, preamble, 0, HEADER_BYTES);
    }
    const head = Buffer.alloc(HEADER_BYTES);
    if (readSync(logFd, head, 0, HEADER_BYTES, 0) !== HEADER_BYTES || head.readUInt32LE(0) !== VERSION) {
      closeSync(logFd);
      closeSync(indexFd);
      throw TestkitErrors.blockLogCorrupt(p.log, "bad preamble");
    }
    const stored = decodePreamble(head);
    const log = new BlockLog(logFd, indexFd, stored, 0, HEADER_BYTES);
    log.recover();
    return log;
  }

  /** Number of the last block, or firstBlockNum - 1 when empty. */
  get headNum(): number {
    return this.preamble.firstBlockNum + this.count - 1;
  }

  /** Appends one packed signed_block. */
  append(packed: Buffer): void {
    const pos = this.logSize;
    const entry = Buffer.alloc(packed.length + 8);
    packed.copy(entry, 0);
    entry.writeBigUInt64LE(BigInt(pos), packed.length);
    writeSync(this.logFd, entry, 0, entry.length, pos);
    const idx = Buffer.alloc(8);
    idx.writeBigUInt64LE(BigInt(pos), 0);
    writeSync(this.indexFd, idx, 0, 8, this.count * 8);
    this.logSize += entry.length;
    this.count++;
  }

  /** The packed bytes of block `num`, or undefined when it is not in the log. */
  read(num: number): Buffer | undefined {
    const i = num - this.preamble.firstBlockNum;
    if (i < 0 || i >= this.count) return undefined;
    const start = this.offsetAt(i);
    const end = i + 1 < this.count ? this.offsetAt(i + 1) : this.logSize;
    const buf = Buffer.alloc(end - start - 8);
    readSync(this.logFd, buf, 0, buf.length, start);
    return buf;
  }

  /** Closes the files. */
  close(): void {
    closeSync(this.logFd);
    closeSync(this.indexFd);
  }

  private offsetAt(i: number): number {
    const b = Buffer.alloc(8);
    readSync(this.indexFd, b, 0, 8, i * 8);
    return Number(b.readBigUInt64LE(0));
  }

  // Walks the trailers back from the end: the last entry whose trailer points at an indexed start wins.
  private recover(): void {
    const logBytes = fstatSync(this.logFd).size;
    let count = Math.floor(fstatSync(this.indexFd).size / 8);
    while (count > 0) {
      const start = this.offsetAt(count - 1);
      const trailer = Buffer.alloc(8);
      const end = count < Math.floor(fstatSync(this.indexFd).size / 8) ? this.offsetAt(count) : logBytes;
      if (end <= logBytes && end - 8 >= start && readSync(this.logFd, trailer, 0, 8, end - 8) === 8) {
        if (Number(trailer.readBigUInt64LE(0)) === start) {
          this.count = count;
          this.logSize = end;
          break;
        }
      }
      count--;
    }
    if (count === 0) {
      this.count = 0;
      this.logSize = HEADER_BYTES;
    }
    ftruncateSync(this.logFd, this.logSize);
    ftruncateSync(this.indexFd, this.count * 8);
  }
}

function encodePreamble(p: BlockLogPreamble): Buffer {
  const b = Buffer.alloc(HEADER_BYTES);
  b.writeUInt32LE(VERSION, 0);
  b.writeUInt32LE(p.firstBlockNum, 4);
  Buffer.from(p.chainId, "hex").copy(b, 8);
  b.writeBigUInt64LE(BigInt(p.genesisTimeMs), 40);
  b.writeBigUInt64LE(TOTEM, 48);
  return b;
}

function decodePreamble(b: Buffer): BlockLogPreamble {
  return {
    firstBlockNum: b.readUInt32LE(4),
    chainId: b.subarray(8, 40).toString("hex"),
    genesisTimeMs: Number(b.readBigUInt64LE(40)),
  };
}
