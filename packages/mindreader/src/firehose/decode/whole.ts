import { isManageosError } from "@manageos/core";
import { hexBytes } from "../../codec/hex.js";
import { MindreaderErrors } from "../../errors.js";
import { PackedEndError, PackedReader } from "./packed-reader.js";

/**
 * Decodes a hex payload and reads it whole with `read`: a cut or odd-length payload, or one that ends inside
 * the structure, is MDR_ERR_BLOCK_INCOMPLETE; bytes left over MDR_ERR_BLOCK_TRAILING_BYTES; non-hex or any other
 * failure MDR_ERR_DECODE.
 */
export function readWholeHex<T>(hex: string, what: string, read: (reader: PackedReader) => T): T {
  return readWhole(hexBytes(hex, what), what, read);
}

/** The same over bytes already decoded. */
export function readWhole<T>(bytes: Buffer, what: string, read: (reader: PackedReader) => T): T {
  const reader = new PackedReader(bytes);
  let value: T;
  try {
    value = read(reader);
  } catch (error) {
    throw asBlockError(error, what);
  }
  if (reader.left > 0) throw MindreaderErrors.blockTrailingBytes(what, reader.left, bytes.length);
  return value;
}

/** Bytes of a hex field (DB_OP data): odd length MDR_ERR_BLOCK_INCOMPLETE, non-hex MDR_ERR_DECODE. */
export function hexField(hex: string, what: string): Buffer {
  return hexBytes(hex, what);
}

function asBlockError(error: unknown, what: string): Error {
  if (isManageosError(error)) return error;
  if (error instanceof PackedEndError) return MindreaderErrors.blockIncomplete(what, error.message, { cause: error });
  return MindreaderErrors.decode(what, (error as Error).message, { cause: error });
}
