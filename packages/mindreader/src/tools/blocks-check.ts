import { isAbsolute, resolve } from "node:path";
import { openStore, type Store } from "@manageos/core";
import { FIREHOSE_FORMAT } from "../firehose/format.js";
import { DMLOG_FORMAT } from "../files/format.js";
import type { ToolIo } from "./blocks-print.js";
import { type FileBlock, readBlockFile } from "./read-block-file.js";

/** What `blocks check` found wrong in a store's bundles. */
export interface StoreProblem {
  readonly kind: "hole" | "unlinkable" | "unreadable" | "misplaced";
  readonly message: string;
}

/** Options of `blocks check`. */
export interface CheckOptions {
  readonly bundleSize?: number;
}

/**
 * `blocks check <store>`: reads every merged bundle of a block store (`merged-blocks/*.dbin.zst`, or the dmlog
 * format's `bundles/*.dmbundle.gz` when there are none) in order and lists holes (bundles or blocks missing between
 * the first block and the last), blocks that do not link to the block before them, blocks outside their bundle's
 * range and bundles that cannot be read. Exit code 1 when it found any, 0 otherwise.
 */
export async function checkBlocks(storeUrl: string, io: ToolIo, opts: CheckOptions = {}): Promise<number> {
  const store = openStore(toStoreUrl(storeUrl));
  const problems = await findProblems(store, opts.bundleSize ?? 100, io);
  for (const problem of problems) io.out(`${problem.kind}: ${problem.message}\n`);
  return problems.length === 0 ? 0 : 1;
}

/** The store's problems, in block order; a summary line goes to `io`. */
export async function findProblems(store: Store, size: number, io: ToolIo): Promise<StoreProblem[]> {
  const { prefix, names } = await bundleNames(store);
  const problems: StoreProblem[] = [];
  let last: FileBlock | undefined;
  let expectedBase: number | undefined;
  let blocks = 0;
  for (const name of names) {
    const base = Number(name.slice(0, 10));
    if (expectedBase !== undefined && base > expectedBase) {
      problems.push({ kind: "hole", message: `bundles ${expectedBase} to ${base - size} are missing: blocks ${expectedBase}-${base - 1}` });
    }
    expectedBase = base + size;
    let found: FileBlock[];
    try {
      found = await readBlockFile(await store.getBytes(prefix + name), prefix + name);
    } catch (error) {
      problems.push({ kind: "unreadable", message: `${prefix}${name}: ${(error as Error).message}` });
      last = undefined;
      continue;
    }
    for (const block of found) {
      blocks++;
      if (block.num < base || block.num >= base + size) {
        problems.push({ kind: "misplaced", message: `block ${block.num} is in bundle ${base} (${base}-${base + size - 1})` });
      }
      if (last !== undefined && block.num > last.num + 1) {
        problems.push({ kind: "hole", message: `blocks ${last.num + 1}-${block.num - 1} are missing` });
      } else if (last !== undefined && block.previous !== last.id) {
        problems.push({
          kind: "unlinkable",
          message: `block ${block.num} (${block.id}) has previous ${block.previous}, the block before it is ${last.num} (${last.id})`,
        });
      }
      last = block;
    }
  }
  io.err(`${names.length} bundles, ${blocks} blocks, ${problems.length} problems (${prefix})\n`);
  return problems;
}

// Bundles of the Firehose format, else of the dmlog format, by name, in order.
async function bundleNames(store: Store): Promise<{ prefix: string; names: string[] }> {
  for (const format of [FIREHOSE_FORMAT, DMLOG_FORMAT]) {
    const names: string[] = [];
    for await (const object of store.list(format.bundlePrefix)) {
      const name = object.key.slice(format.bundlePrefix.length);
      if (format.isBundleFileName(name)) names.push(name);
    }
    if (names.length > 0) return { prefix: format.bundlePrefix, names: names.sort() };
  }
  return { prefix: FIREHOSE_FORMAT.bundlePrefix, names: [] };
}

// A store URL, or a local directory taken as file://.
function toStoreUrl(store: string): string {
  if (/^(file|gs):\/\//.test(store)) return store;
  return `file://${isAbsolute(store) ? store : resolve(store)}`;
}
