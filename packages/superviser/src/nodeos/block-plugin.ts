import type { BlockEvent, LogLine, LogPlugin } from "@manageos/core";
import { mayBeBlockLine, parseBlockLine } from "./block-line.js";

/** Turns nodeos `Received block` / `Produced block` lines into typed block events. */
export class NodeosBlockPlugin implements LogPlugin {
  readonly name = "nodeos-blocks";

  constructor(private readonly onBlock: (block: BlockEvent) => void) {}

  /** Only stderr log lines that can be block lines. */
  accepts(line: LogLine): boolean {
    return line.stream === "stderr" && mayBeBlockLine(line.text);
  }

  /** Parses and reports one block line. */
  handle(line: LogLine): void {
    const block = parseBlockLine(line.text);
    if (block !== undefined) this.onBlock(block);
  }
}
