import type { LogLine, LogPlugin } from "@manageos/core";
import { isDirtyLine } from "./dirty-flag.js";

/** Notices nodeos' `database dirty flag set` error line (`Database dirty flag set` in EOSIO 2.1). */
export class NodeosDirtyPlugin implements LogPlugin {
  readonly name = "nodeos-dirty";

  constructor(private readonly onDirty: (line: string) => void) {}

  /** Only stderr. */
  accepts(line: LogLine): boolean {
    return line.stream === "stderr";
  }

  /** Reports the dirty line when seen. */
  handle(line: LogLine): void {
    if (isDirtyLine(line.text)) this.onDirty(line.text);
  }
}
