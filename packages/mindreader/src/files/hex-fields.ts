/** A hex payload of a block's lines that is not whole: cut (an odd digit count) or not hex. */
export interface DamagedHex {
  readonly cut: boolean;
  /** The line's operation and block number or field, e.g. `APPLIED_TRANSACTION 12`. */
  readonly what: string;
  readonly reason: string;
}

/**
 * The first damaged hex payload among a block's DMLOG lines (UTF-8, each ending in a newline): the traces of
 * APPLIED_TRANSACTION, the transactions of TRX_OP CREATE and DTRX_OP CREATE/CANCEL, the rows of DB_OP (`old:new` for
 * UPD) and the fields after the block of ACCEPTED_BLOCK_V2. JSON payloads (the legacy dialect) are not hex and pass.
 * ACCEPTED_BLOCK's payload is decoded whole by the reader already.
 *
 * Self-contained (no outer names): the writer threads run it from its source text.
 */
export function findDamagedHex(bytes: Uint8Array): DamagedHex | undefined {
  const NEWLINE = 10;
  const SPACE = 32;
  const isHex = (c: number) => (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
  const text = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, Math.min(to, from + 40)));
  // One payload from `from` to `to`: undefined when whole, else why not.
  const check = (from: number, to: number): { cut: boolean; reason: string } | undefined => {
    if (bytes[from] === 123) return undefined;
    for (let i = from; i < to; i++) {
      if (!isHex(bytes[i]!)) return { cut: false, reason: `not hex from digit ${i - from} on` };
    }
    return (to - from) % 2 === 0 ? undefined : { cut: true, reason: `an odd number of hex digits (${to - from})` };
  };
  let start = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(NEWLINE, start);
    if (end < 0) end = bytes.length;
    const kindStart = start + 6;
    let kindEnd = bytes.indexOf(SPACE, kindStart);
    if (kindEnd < 0 || kindEnd > end) kindEnd = end;
    const kind = text(kindStart, kindEnd);
    // Start of each field after the kind, up to `count` of them.
    const fields = (count: number): number[] => {
      const at: number[] = [];
      let i = kindEnd;
      while (at.length < count && i < end && bytes[i] === SPACE) {
        at.push(i + 1);
        const next = bytes.indexOf(SPACE, i + 1);
        i = next < 0 || next > end ? end : next;
      }
      return at;
    };
    const lastField = () => {
      let i = end;
      while (i > kindEnd && bytes[i - 1] !== SPACE) i--;
      return i;
    };
    let damaged: { cut: boolean; reason: string; what: string } | undefined;
    const payload = (from: number, to: number, what: string) => {
      const problem = damaged === undefined ? check(from, to) : undefined;
      if (problem !== undefined) damaged = { ...problem, what };
    };
    const first = fields(2);
    const label = `${kind} ${first[0] === undefined ? "" : text(first[0], (first[1] ?? end + 1) - 1)}`.trim();
    if (kind === "APPLIED_TRANSACTION") {
      if (first.length < 2) damaged = { cut: true, reason: "no trace after the block number", what: label };
      else payload(first[1]!, end, label);
    } else if (kind === "DB_OP") {
      const from = lastField();
      const colon = bytes.indexOf(58, from);
      if (colon >= 0 && colon < end) {
        payload(from, colon, `${label} old row`);
        payload(colon + 1, end, `${label} new row`);
      } else {
        payload(from, end, label);
      }
    } else if (kind === "TRX_OP" || kind === "DTRX_OP") {
      const op = first[0] === undefined ? "" : text(first[0], (first[1] ?? end + 1) - 1);
      if (op.endsWith("CREATE") || op.endsWith("CANCEL")) payload(lastField(), end, `${kind} ${op}`);
    } else if (kind === "ACCEPTED_BLOCK_V2") {
      const at = fields(64);
      for (let f = 3; f < at.length; f++) payload(at[f]!, (at[f + 1] ?? end + 1) - 1, `ACCEPTED_BLOCK_V2 field ${f + 1}`);
    }
    if (damaged !== undefined) return damaged;
    start = end + 1;
  }
  return undefined;
}
