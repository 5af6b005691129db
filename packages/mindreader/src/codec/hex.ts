import { isManageosError } from "@manageos/core";
import { ABIDecoder } from "@wharfkit/antelope";
import { MindreaderErrors } from "../errors.js";

// Payloads up to this size are decoded into one reused buffer: about twice as fast as a new buffer each time.
const SCRATCH_MAX_BYTES = 4 * 1024 * 1024;
let scratch = Buffer.allocUnsafe(64 * 1024);

/** Decodes a whole hex payload: an odd digit count is a cut (MDR_ERR_BLOCK_INCOMPLETE), other non-hex MDR_ERR_DECODE. */
export function hexBytes(hex: string, what: string): Buffer {
  return decodeHex(hex, what, Buffer.allocUnsafe(hex.length >>> 1));
}

/**
 * The same into a buffer the next call reuses: for bytes read at once and never kept (nothing decoded from them may
 * hold on to them).
 */
export function hexScratch(hex: string, what: string): Buffer {
  const size = hex.length >>> 1;
  if (size > SCRATCH_MAX_BYTES) return hexBytes(hex, what);
  if (size > scratch.length) scratch = Buffer.allocUnsafe(Math.min(SCRATCH_MAX_BYTES, Math.max(size, scratch.length * 2)));
  return decodeHex(hex, what, scratch.subarray(0, size));
}

function decodeHex(hex: string, what: string, into: Buffer): Buffer {
  if (hex.length % 2 !== 0) throw MindreaderErrors.blockIncomplete(what, `an odd number of hex digits (${hex.length})`);
  // write() stops silently at the first pair that is not hex: the count says whether it read everything.
  const written = into.write(hex, 0, "hex");
  if (written !== into.length) throw MindreaderErrors.decode(what, `not hex from digit ${written * 2} on`);
  return into;
}

/**
 * Runs the full decoder `read` over all of `bytes`, which must decode exactly to their end: running out is
 * MDR_ERR_BLOCK_INCOMPLETE, bytes left over MDR_ERR_BLOCK_TRAILING_BYTES, any other failure MDR_ERR_DECODE.
 */
export function decodeWhole<T>(bytes: Buffer, what: string, read: (decoder: ABIDecoder) => T): T {
  const decoder = new ABIDecoder(bytes);
  let value: T;
  try {
    value = read(decoder);
  } catch (error) {
    if (isManageosError(error)) throw error;
    if (ranOut(error)) {
      throw MindreaderErrors.blockIncomplete(what, `its ${bytes.length} bytes end inside the structure`, { cause: error });
    }
    throw MindreaderErrors.decode(what, (error as Error).message, { cause: error });
  }
  const left = bytes.length - decoder.getPosition();
  if (left > 0) throw MindreaderErrors.blockTrailingBytes(what, left, bytes.length);
  return value;
}

// wharfkit's decoder says `Read past end of buffer`, wrapped in a DecodingError that keeps it as `underlyingError`.
function ranOut(error: unknown): boolean {
  const inner = (error as { underlyingError?: unknown }).underlyingError ?? error;
  return inner instanceof Error && inner.message === "Read past end of buffer";
}
