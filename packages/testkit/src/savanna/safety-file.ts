import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { atomicWrite } from "@manageos/core";

/**
 * `<finalizers-dir>/safety.dat`, the simulator's own layout (Spring's is its own binary too):
 * `SIMSAFE1`, uint32 LE count, then per finalizer uint16 LE key length, the `PUB_BLS_` key (ASCII),
 * uint32 LE last vote block number, its 32-byte id, uint32 LE lock block number, its 32-byte id,
 * uint64 LE time of the vote (ms); a sha256 of all that closes the file. Written (temp, fsync, rename)
 * before every vote; a file that does not read back is corrupt.
 */
const MAGIC = Buffer.from("SIMSAFE1", "ascii");

/** One local finalizer's voting history. */
export interface SafetyEntry {
  readonly lastVoteNum: number;
  readonly lastVoteId: string;
  readonly lockNum: number;
  readonly lockId: string;
  readonly timeMs: number;
}

/** Where safety.dat lives. */
export function safetyFilePath(finalizersDir: string): string {
  return join(finalizersDir, "safety.dat");
}

/** Packs the entries, sorted by key so that the same history always gives the same bytes. */
export function encodeSafety(entries: ReadonlyMap<string, SafetyEntry>): Buffer {
  const parts: Buffer[] = [MAGIC, u32(entries.size)];
  for (const [key, e] of [...entries].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const k = Buffer.from(key, "ascii");
    const n = Buffer.alloc(2);
    n.writeUInt16LE(k.length);
    const time = Buffer.alloc(8);
    time.writeBigUInt64LE(BigInt(e.timeMs));
    parts.push(n, k, u32(e.lastVoteNum), Buffer.from(e.lastVoteId, "hex"), u32(e.lockNum), Buffer.from(e.lockId, "hex"), time);
  }
  const body = Buffer.concat(parts);
  return Buffer.concat([body, createHash("sha256").update(body).digest()]);
}

/** Unpacks safety.dat; throws with the reason when it is corrupt. */
export function decodeSafety(buf: Buffer): Map<string, SafetyEntry> {
  if (buf.length < MAGIC.length + 4 + 32 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error("bad magic");
  const body = buf.subarray(0, buf.length - 32);
  if (
    !createHash("sha256")
      .update(body)
      .digest()
      .equals(buf.subarray(buf.length - 32))
  )
    throw new Error("checksum mismatch");
  const out = new Map<string, SafetyEntry>();
  let at = MAGIC.length;
  const count = body.readUInt32LE(at);
  at += 4;
  for (let i = 0; i < count; i++) {
    const len = body.readUInt16LE(at);
    const key = body.subarray(at + 2, at + 2 + len).toString("ascii");
    at += 2 + len;
    out.set(key, {
      lastVoteNum: body.readUInt32LE(at),
      lastVoteId: body.subarray(at + 4, at + 36).toString("hex"),
      lockNum: body.readUInt32LE(at + 36),
      lockId: body.subarray(at + 40, at + 72).toString("hex"),
      timeMs: Number(body.readBigUInt64LE(at + 72)),
    });
    at += 80;
  }
  if (at !== body.length) throw new Error("trailing bytes");
  return out;
}

/** Reads safety.dat: undefined when absent (a new finalizer), the entries, or throws when corrupt. */
export async function readSafetyFile(path: string): Promise<Map<string, SafetyEntry> | undefined> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  return decodeSafety(buf);
}

/** Writes safety.dat durably (temp, fsync, rename). */
export async function writeSafetyFile(path: string, entries: ReadonlyMap<string, SafetyEntry>): Promise<void> {
  await atomicWrite(path, encodeSafety(entries));
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}
