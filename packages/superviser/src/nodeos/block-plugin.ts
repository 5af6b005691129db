import type { BlockEvent, LogLine, LogPlugin } from "@manageos/core";
import { BLOCK_LINE_NEEDLE, parseBlockLine } from "./block-line.js";
import { NeedleSet } from "./substring.js";

/** Turns nodeos `Received block` / `Produced block` lines into typed block events. */
export class NodeosBlockPlugin implements LogPlugin {
  readonly name = "nodeos-blocks";
  // The cheap test before the regexp, searched once a pipe read.
  private readonly blockLines = new NeedleSet([BLOCK_LINE_NEEDLE]);

  constructor(private readonly onBlock: (block: BlockEvent) => void) {}

  /** Only stderr log lines that can be block lines. */
  accepts(line: LogLine): boolean {
    return line.stream === "stderr" && this.blockLines.heldBy(line.text, line.read);
  }

  /** Parses and reports one block line. */
  handle(line: LogLine): void {
    const block = parseBlockLine(line.text);
    if (block !== undefined) this.onBlock(block);
  }
}
