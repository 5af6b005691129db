/** A piece of a deep-mind log: the lines of one block, or lines printed outside any block. */
export interface DmlogPiece {
  readonly inBlock: boolean;
  readonly lines: string[];
  /** The lines as the assembler hands them over: UTF-8, each ending in a newline. */
  readonly bytes: Buffer;
}

/** Cuts a deep-mind log the way the mindreader's assembler does: START_BLOCK to the accepted line, SWITCH_FORK drops. */
export function splitDmlog(text: string): DmlogPiece[] {
  const pieces: DmlogPiece[] = [];
  let outside: string[] = [];
  let block: string[] | undefined;
  const flushOutside = () => {
    if (outside.length > 0) pieces.push(piece(false, outside));
    outside = [];
  };
  for (const line of text.split("\n")) {
    if (line === "") continue;
    if (line.startsWith("DMLOG START_BLOCK ")) {
      block = [line];
    } else if (line.startsWith("DMLOG SWITCH_FORK ")) {
      block = undefined;
    } else if (block === undefined) {
      outside.push(line);
    } else {
      block.push(line);
      if (line.startsWith("DMLOG ACCEPTED_BLOCK")) {
        flushOutside();
        pieces.push(piece(true, block));
        block = undefined;
      }
    }
  }
  flushOutside();
  return pieces;
}

function piece(inBlock: boolean, lines: string[]): DmlogPiece {
  return { inBlock, lines, bytes: Buffer.from(`${lines.join("\n")}\n`) };
}
