import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A byte range of a file that holds data: [start, end). */
export type DataRange = readonly [start: number, end: number];

/**
 * Where a sparse file holds data, from its extent map (`filefrag`, FIEMAP), so holes are skipped
 * without being read, as `cp` does. Undefined when the map cannot be had; callers then read everything.
 */
export async function dataRanges(path: string): Promise<DataRange[] | undefined> {
  let stdout: string;
  try {
    ({ stdout } = await run("filefrag", ["-v", path], {
      timeout: 60_000,
      maxBuffer: 256 * 1024 * 1024,
      env: { ...process.env, LC_ALL: "C" },
    }));
  } catch {
    return undefined;
  }
  const blockSize = Number(/blocks of (\d+) bytes/.exec(stdout)?.[1]);
  if (!Number.isSafeInteger(blockSize) || blockSize <= 0) return undefined;
  const ranges: DataRange[] = [];
  for (const match of stdout.matchAll(/^\s*\d+:\s*(\d+)\.\.\s*(\d+):/gm)) {
    ranges.push([Number(match[1]) * blockSize, (Number(match[2]) + 1) * blockSize]);
  }
  return ranges.sort((a, b) => a[0] - b[0]);
}

/** True when [start, end) overlaps a data range (ranges sorted by start). */
export function holdsData(ranges: readonly DataRange[], start: number, end: number): boolean {
  let lo = 0;
  let hi = ranges.length;
  // The first range ending after `start`.
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((ranges[mid]?.[1] ?? 0) <= start) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < ranges.length; i++) {
    const range = ranges[i] as DataRange;
    if (range[0] >= end) return false;
    if (range[1] > start) return true;
  }
  return false;
}
