import { isManageosError } from "@manageos/core";
import { ABIDecoder } from "@wharfkit/antelope";
import { MindreaderErrors } from "../errors.js";

// Deep-mind payloads can be tens of MiB: headers are read off a prefix, the whole payload only when needed.
const PREFIX_BYTES = 64 * 1024;

/** Runs `read` on the first bytes of a hex payload, then on all of it if the prefix was too short. */
export function readHexPrefix<T>(hex: string, what: string, read: (decoder: ABIDecoder, bytes: Buffer) => T): T {
  if (hex.length > PREFIX_BYTES * 2) {
    const prefix = hexBytes(hex.slice(0, PREFIX_BYTES * 2), what);
    try {
      return read(new ABIDecoder(prefix), prefix);
    } catch (error) {
      if (isManageosError(error)) throw error;
      // Most likely the prefix ended inside the header: retry on the whole payload.
    }
  }
  const bytes = hexBytes(hex, what);
  try {
    return read(new ABIDecoder(bytes), bytes);
  } catch (error) {
    if (isManageosError(error)) throw error;
    throw MindreaderErrors.decode(what, (error as Error).message, { cause: error });
  }
}

/** Decodes a whole hex payload, refusing anything that is not hex. */
export function hexBytes(hex: string, what: string): Buffer {
  if (hex.length % 2 !== 0) throw MindreaderErrors.decode(what, "odd number of hex digits");
  const bytes = Buffer.from(hex, "hex");
  // Buffer.from stops silently at the first pair that is not hex.
  if (bytes.length * 2 !== hex.length) throw MindreaderErrors.decode(what, "not hex");
  return bytes;
}
