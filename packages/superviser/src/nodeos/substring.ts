// Characters seldom in nodeos' lines. A substring search costs a call, then looks for its first character and compares
// the rest: one that starts at a seldom character stops less often than one starting at a lowercase letter or a space.
const SELDOM = /[A-Zqzxjkvy]/;

/** A needle to look for in lines, with the piece of it searched first (see `holds`). */
export interface Needle {
  readonly whole: string;
  /** The needle from its first seldom character on; the whole needle when it starts with one. */
  readonly piece: string;
}

/** Prepares a needle for `holds`. */
export function needle(whole: string): Needle {
  return { whole, piece: whole.slice(Math.max(0, whole.search(SELDOM))) };
}

/**
 * `text.includes(needle.whole)`, at less cost on lines that do not hold it (most lines): the needle is searched from
 * its first seldom character on (`requesting range` as `questing range`, `d block ` as `k `), and only a line holding
 * that piece is searched for the whole needle.
 */
export function holds(text: string, needle: Needle): boolean {
  return text.includes(needle.piece) && (needle.piece === needle.whole || text.includes(needle.whole));
}

/**
 * Whether a line holds any of several needles, with fewer searches than one a needle. The needles that share a
 * two-character piece starting at a seldom character (`k ` of `Received block ` and `Block not applied`) are searched
 * only in lines that hold that piece. And given the pipe read a line was cut from (`LogLine.read`), each piece is
 * searched once in the read: a piece absent from it is absent from all of its lines, which are then not searched for
 * it (a read holds hundreds of lines, and searching it costs about what searching each line does, less a call a line).
 * Keeps what it found in the last read only.
 */
export class NeedleSet {
  private readonly gate: string | undefined;
  private readonly gated: readonly Needle[];
  private readonly others: readonly Needle[];
  // The last read seen, and what of the set it holds.
  private read: string | undefined;
  private gateInRead = true;
  private othersInRead: readonly Needle[];

  constructor(wholes: readonly string[]) {
    this.gate = sharedPiece(wholes);
    const gate = this.gate;
    this.gated = gate === undefined ? [] : wholes.filter((w) => w.includes(gate)).map(needle);
    this.others = wholes.filter((w) => gate === undefined || !w.includes(gate)).map(needle);
    this.othersInRead = this.others;
  }

  /** True when the text holds at least one of the needles; `read`: the text of the pipe read that holds the line whole. */
  heldBy(text: string, read?: string): boolean {
    let gateIn = true;
    let others = this.others;
    if (read !== undefined) {
      if (read !== this.read) this.scan(read);
      gateIn = this.gateInRead;
      others = this.othersInRead;
    }
    if (gateIn && this.gate !== undefined && text.includes(this.gate)) {
      for (let i = 0; i < this.gated.length; i++) if (holds(text, this.gated[i] as Needle)) return true;
    }
    for (let i = 0; i < others.length; i++) if (holds(text, others[i] as Needle)) return true;
    return false;
  }

  // What of the set a new read holds.
  private scan(read: string): void {
    this.read = read;
    this.gateInRead = this.gate !== undefined && read.includes(this.gate);
    this.othersInRead = this.others.filter((n) => read.includes(n.piece));
  }
}

// The two characters, the first of them seldom, that most of the needles hold (at least two); undefined when none.
function sharedPiece(wholes: readonly string[]): string | undefined {
  const holders = new Map<string, number>();
  for (const whole of wholes) {
    const pieces = new Set<string>();
    for (let i = 0; i + 2 <= whole.length; i++) if (SELDOM.test(whole.charAt(i))) pieces.add(whole.slice(i, i + 2));
    for (const piece of pieces) holders.set(piece, (holders.get(piece) ?? 0) + 1);
  }
  let best: string | undefined;
  let most = 1;
  for (const [piece, count] of holders) {
    if (count > most) {
      best = piece;
      most = count;
    }
  }
  return best;
}
