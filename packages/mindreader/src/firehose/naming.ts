import type { BlockMeta } from "../codec/block-meta.js";
import type { OneBlockName } from "../files/naming.js";

/** Suffix of Firehose one-block files and merged bundles. */
export const FIREHOSE_EXT = ".dbin.zst";

/** The last 16 characters of a block id, as Firehose's names carry them. */
export function idTail(id: string): string {
  return id.length <= 16 ? id : id.slice(-16);
}

/** `<num:010>-<id[-16:]>-<prev[-16:]>-<lib>-<suffix>.dbin.zst`, the name firehose-core's reader node gives a block. */
export function firehoseOneBlockFileName(meta: Pick<BlockMeta, "num" | "id" | "previous" | "lib">, suffix: string): string {
  return `${String(meta.num).padStart(10, "0")}-${idTail(meta.id)}-${idTail(meta.previous)}-${meta.lib}-${suffix}${FIREHOSE_EXT}`;
}

const ONE_BLOCK = /^(\d{10})-([0-9a-f]{16})-([0-9a-f]{16})-(\d+)-([A-Za-z0-9_.]+)\.dbin\.zst$/;

/** Reads a Firehose one-block file name back; undefined for any other name. */
export function parseFirehoseOneBlockFileName(name: string): OneBlockName | undefined {
  const match = ONE_BLOCK.exec(name);
  if (match === null) return undefined;
  const [, num, idTail, previousTail, lib, suffix] = match;
  return { num: Number(num), idTail: idTail!, previousTail: previousTail!, lib: Number(lib), suffix: suffix! };
}

/** `<base:010>.dbin.zst`, a merged bundle. */
export function firehoseBundleFileName(base: number): string {
  return `${String(base).padStart(10, "0")}${FIREHOSE_EXT}`;
}

/** True for a merged bundle's name. */
export function isFirehoseBundleFileName(name: string): boolean {
  return /^\d{10}\.dbin\.zst$/.test(name);
}
