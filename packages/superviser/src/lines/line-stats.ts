/** Which pipe a line came from. */
export type StreamName = "stdout" | "stderr";

/**
 * Why a line did not reach a reader: the log output was behind, the reader was behind the node (its pipe kept
 * coming back full), or a reader's queue was full.
 */
export type DropReason = "log-behind" | "reader-behind" | "queue-full";

/** Lines one reader lost, by pipe and reason. */
export interface LineDrop {
  readonly stream: StreamName;
  readonly reason: DropReason;
  readonly count: number;
}

/** A reader (a log plugin) that loses lines under pressure rather than hold the node back says how many. */
export interface DropsLines {
  droppedLines(): readonly LineDrop[];
}

/** True for a plugin that reports the lines it dropped. */
export function dropsLines(plugin: object): plugin is DropsLines {
  return typeof (plugin as Partial<DropsLines>).droppedLines === "function";
}

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
