import { type FileHandle, open, readdir, readFile, rename, rm, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isGzip } from "./local-file.js";
import { parseFirehoseOneBlockFileName } from "../firehose/naming.js";
import { parseOneBlockFileName } from "./naming.js";

// Suffix of a bundle being written block by block: `<base:010>.dmbundle.gz.part`.
const PART_EXT = ".part";
// Its index, one line per member: `<one-block file name> <offset> <length>`.
const INDEX_EXT = ".idx";

/** One block's gzip member in a bundle being written: the one-block file name it stands for, and where it is. */
export interface PartMember {
  readonly name: string;
  readonly path: string;
  readonly offset: number;
  readonly length: number;
}

/** What recovering a part found: its intact members, and how many bytes after them were cut off. */
export interface RecoveredPart {
  readonly members: readonly PartMember[];
  readonly cutBytes: number;
}

interface OpenPart {
  readonly data: FileHandle;
  readonly index: FileHandle;
}

/**
 * Bundles written block by block, for blocks read while catching up: each block's gzip member is appended to
 * `<bundle>.part`, then a line saying where it is to `<bundle>.part.idx`. One file grows per range instead of a
 * file per block. A member is the block's whole one-block file, so the part, once complete, is the bundle (a
 * rename), and any member can be cut out again as the one-block file it stands for. After a crash, the index
 * lines whose members are intact are kept and the rest is cut off. Appends are made one after the other.
 */
export class BundleParts {
  private readonly handles = new Map<string, Promise<OpenPart>>();
  private readonly members = new Map<string, PartMember[]>();

  /**
   * Parts live in `dir`, beside the bundles. Each starts with `head` (the format's file head), then its members;
   * `isIntact` tells a complete member from one a crash cut.
   */
  constructor(
    private readonly dir: string,
    private readonly head: Uint8Array = new Uint8Array(0),
    private readonly isIntact: (bytes: Uint8Array) => Promise<boolean> = isGzip,
  ) {}

  /** The part of bundle `bundle` (a bundle file name). */
  path(bundle: string): string {
    return join(this.dir, bundle + PART_EXT);
  }

  /** Bundles with a part in the dir. An index left without its part (a crash between the two removals) is removed. */
  async list(): Promise<string[]> {
    const names = await readdir(this.dir);
    for (const name of names) {
      if (name.endsWith(PART_EXT + INDEX_EXT) && !names.includes(name.slice(0, -INDEX_EXT.length))) {
        await rm(join(this.dir, name), { force: true });
      }
    }
    return names
      .filter((name) => name.endsWith(PART_EXT))
      .map((name) => name.slice(0, -PART_EXT.length))
      .sort();
  }

  /** Members of the part of `bundle`, in the order they were appended; empty without a part. */
  membersOf(bundle: string): readonly PartMember[] {
    return this.members.get(bundle) ?? [];
  }

  /**
   * Appends gzip members (each a one-block file's bytes) to the part of `bundle`. On failure nothing of this call
   * stays: the part is cut back to its length before it, and the error is thrown.
   */
  async append(bundle: string, files: ReadonlyArray<{ name: string; bytes: Uint8Array }>): Promise<PartMember[]> {
    const path = this.path(bundle);
    const list = this.members.get(bundle) ?? [];
    const last = list.at(-1);
    // A new part gets the file head first, written with its first members.
    const start = last === undefined ? 0 : last.offset + last.length;
    const head = last === undefined ? [this.head] : [];
    let offset = start + (last === undefined ? this.head.length : 0);
    const placed = files.map(({ name, bytes }) => {
      const member = { name, path, offset, length: bytes.length };
      offset += bytes.length;
      return member;
    });
    try {
      // Parts of earlier ranges are closed (reopened if a fork comes back to one): a node far ahead of its LIB
      // leaves many parts open, and each would hold two file descriptors.
      for (const other of [...this.handles.keys()]) if (other < bundle) await this.release(other);
      const part = await this.handle(bundle);
      await writeAll(part.data, [...head, ...files.map((file) => file.bytes)], offset - start);
      const lines = indexText(placed);
      await writeAll(part.index, [Buffer.from(lines)], Buffer.byteLength(lines));
    } catch (error) {
      await this.cutBack(bundle, start, list);
      throw error;
    }
    list.push(...placed);
    this.members.set(bundle, list);
    return placed;
  }

  /** The part of `bundle`, complete, becomes the bundle file at `target`; its index goes. */
  async seal(bundle: string, target: string): Promise<void> {
    await this.release(bundle);
    this.members.delete(bundle);
    await rename(this.path(bundle), target);
    await rm(this.path(bundle) + INDEX_EXT, { force: true });
  }

  /** Removes the part of `bundle` and its index. */
  async discard(bundle: string): Promise<void> {
    await this.release(bundle);
    this.members.delete(bundle);
    await rm(this.path(bundle), { force: true });
    await rm(this.path(bundle) + INDEX_EXT, { force: true });
  }

  /**
   * Reads back the part of `bundle` a previous run left: the members its index lists, in order, each complete and a
   * valid gzip; the first one that is not ends the part (cut off, file and index). A part with none is removed.
   */
  async recover(bundle: string): Promise<RecoveredPart> {
    const path = this.path(bundle);
    const data = await readFile(path).catch(() => Buffer.alloc(0));
    const index = await readFile(path + INDEX_EXT, "utf8").catch(() => "");
    const members: PartMember[] = [];
    const headed = data.subarray(0, this.head.length).equals(this.head);
    let end = headed ? this.head.length : 0;
    for (const line of headed ? index.split("\n") : []) {
      const member = parseIndexLine(line, path);
      if (member === undefined || member.offset !== end || end + member.length > data.length) break;
      if (!(await this.isIntact(data.subarray(end, end + member.length)))) break;
      members.push(member);
      end += member.length;
    }
    if (members.length === 0) {
      await this.discard(bundle);
    } else {
      if (end < data.length) await truncate(path, end);
      await writeFile(path + INDEX_EXT, indexText(members));
      this.members.set(bundle, members);
    }
    return { members, cutBytes: data.length - end };
  }

  /** Closes every open part; their files stay, for later appends or the next start. */
  async close(): Promise<void> {
    await Promise.all([...this.handles.keys()].map((bundle) => this.release(bundle)));
  }

  private handle(bundle: string): Promise<OpenPart> {
    let part = this.handles.get(bundle);
    if (part === undefined) {
      // One that cannot be opened is dropped by the failed append's cut back, and tried again on the next one.
      part = openPart(this.path(bundle));
      this.handles.set(bundle, part);
    }
    return part;
  }

  private async release(bundle: string): Promise<void> {
    const part = this.handles.get(bundle);
    this.handles.delete(bundle);
    const opened = await part?.catch(() => undefined);
    if (opened !== undefined) await Promise.allSettled([opened.data.close(), opened.index.close()]);
  }

  // After a failed append: the data back to `length`, the index back to `list`, the file handles reopened on next use.
  private async cutBack(bundle: string, length: number, list: readonly PartMember[]): Promise<void> {
    const path = this.path(bundle);
    await this.release(bundle);
    await truncate(path, length).catch(() => undefined);
    await writeFile(path + INDEX_EXT, indexText(list)).catch(() => undefined);
  }
}

async function openPart(path: string): Promise<OpenPart> {
  const data = await open(path, "a");
  try {
    return { data, index: await open(path + INDEX_EXT, "a") };
  } catch (error) {
    await data.close();
    throw error;
  }
}

async function writeAll(handle: FileHandle, buffers: readonly Uint8Array[], total: number): Promise<void> {
  const { bytesWritten } = await handle.writev(buffers as Uint8Array[]);
  if (bytesWritten !== total) throw new Error(`short write: ${bytesWritten} of ${total} bytes`);
}

function indexText(members: readonly PartMember[]): string {
  return members.map((m) => `${m.name} ${m.offset} ${m.length}\n`).join("");
}

function parseIndexLine(line: string, path: string): PartMember | undefined {
  const match = /^(\S+) (\d+) (\d+)$/.exec(line);
  const name = match?.[1];
  if (name === undefined || (parseOneBlockFileName(name) ?? parseFirehoseOneBlockFileName(name)) === undefined) return undefined;
  const length = Number(match![3]);
  return length > 0 ? { name, path, offset: Number(match![2]), length } : undefined;
}
