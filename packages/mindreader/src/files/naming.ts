import type { BlockMeta } from "../codec/block-meta.js";

/** Suffix of one-block files. */
export const ONE_BLOCK_EXT = ".dmblock.gz";
/** Suffix of 100-block bundles. */
export const BUNDLE_EXT = ".dmbundle.gz";
/** Blocks per bundle. */
export const BUNDLE_SIZE = 100;

/** What a one-block file name says about its block. */
export interface OneBlockName {
  readonly num: number;
  /** `yyyymmddThhmmss.s` (UTC), in the dmlog format's names only. */
  readonly time?: string;
  readonly idTail: string;
  readonly previousTail: string;
  readonly lib: number;
  readonly suffix: string;
}

/** `2020-01-01T00:00:00.500Z` -> `20200101T000000.5`. */
export function fileTime(iso: string): string {
  const date = new Date(iso);
  const pad = (value: number, width = 2): string => String(value).padStart(width, "0");
  return (
    `${pad(date.getUTCFullYear(), 4)}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}` +
    `T${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}` +
    `.${Math.floor(date.getUTCMilliseconds() / 100)}`
  );
}

/** `<num:010>-<yyyymmddThhmmss.s>-<id[-8:]>-<prev[-8:]>-<lib>-<suffix>.dmblock.gz`. */
export function oneBlockFileName(meta: BlockMeta, suffix: string): string {
  const num = String(meta.num).padStart(10, "0");
  return `${num}-${fileTime(meta.timestamp)}-${meta.id.slice(-8)}-${meta.previous.slice(-8)}-${meta.lib}-${suffix}${ONE_BLOCK_EXT}`;
}

const ONE_BLOCK = /^(\d{10})-(\d{8}T\d{6}\.\d)-([0-9a-f]{8})-([0-9a-f]{8})-(\d+)-([A-Za-z0-9_.]+)\.dmblock\.gz$/;

/** Reads a one-block file name back; undefined for any other name. */
export function parseOneBlockFileName(name: string): OneBlockName | undefined {
  const match = ONE_BLOCK.exec(name);
  if (match === null) return undefined;
  const [, num, time, idTail, previousTail, lib, suffix] = match;
  return {
    num: Number(num),
    time: time!,
    idTail: idTail!,
    previousTail: previousTail!,
    lib: Number(lib),
    suffix: suffix!,
  };
}

/** `<base:010>.dmbundle.gz`. */
export function bundleFileName(base: number): string {
  return `${String(base).padStart(10, "0")}${BUNDLE_EXT}`;
}

/** Writer suffixes stay short and safe in file names. */
export function isValidSuffix(suffix: string): boolean {
  return /^[A-Za-z0-9_.]{1,32}$/.test(suffix) && !suffix.includes("-");
}
