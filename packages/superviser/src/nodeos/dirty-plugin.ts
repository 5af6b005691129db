import type { LogLine, LogPlugin } from "@manageos/core";
import { DIRTY_LINE } from "./dirty-flag.js";

/** Notices nodeos' `database dirty flag set` error line. */
export class NodeosDirtyPlugin implements LogPlugin {
  readonly name = "nodeos-dirty";

  constructor(private readonly onDirty: (line: string) => void) {}

  /** Only stderr. */
  accepts(line: LogLine): boolean {
    return line.stream === "stderr";
  }

  /** Reports the dirty line when seen. */
  handle(line: LogLine): void {
    if (line.text.includes(DIRTY_LINE)) this.onDirty(line.text);
  }
}
