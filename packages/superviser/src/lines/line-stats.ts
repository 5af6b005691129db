/** Which pipe a line came from. */
export type StreamName = "stdout" | "stderr";

/** Counters of the line pipeline: plain numbers on the hot path, read by metrics at scrape time. */
export interface LineStats {
  lines: Record<StreamName, number>;
  bytes: Record<StreamName, number>;
  truncated: Record<StreamName, number>;
}

/** Fresh zeroed counters. */
export function createLineStats(): LineStats {
  return {
    lines: { stdout: 0, stderr: 0 },
    bytes: { stdout: 0, stderr: 0 },
    truncated: { stdout: 0, stderr: 0 },
  };
}
