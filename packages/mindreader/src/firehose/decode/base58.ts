const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
// 58^9 < 2^53: the number is cut into 9-digit chunks by BigInt division, each written exactly with Number arithmetic.
const CHUNK = 58n ** 9n;
const CHUNK_DIGITS = 9;

/**
 * Bitcoin-alphabet base58, as Antelope writes keys and signatures. wharfkit's Base58.encode is quadratic in plain
 * JavaScript and was a tenth of a block's decoding for the signatures of its receipts; this one leaves the long
 * division to BigInt. Same output (tested against wharfkit's).
 */
export function base58(bytes: Uint8Array): string {
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  if (zeros === bytes.length) return "1".repeat(zeros);
  let n = BigInt(`0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`);
  const chunks: number[] = [];
  while (n > 0n) {
    chunks.push(Number(n % CHUNK));
    n /= CHUNK;
  }
  let out = "";
  for (let i = chunks.length - 1; i >= 0; i--) {
    let chunk = chunks[i]!;
    let digits = "";
    for (let d = 0; d < CHUNK_DIGITS; d++) {
      digits = ALPHABET[chunk % 58]! + digits;
      chunk = Math.floor(chunk / 58);
    }
    out += digits;
  }
  // Only the most significant chunk may start with zero digits, which base58 does not write.
  let start = 0;
  while (start < out.length - 1 && out[start] === "1") start++;
  return "1".repeat(zeros) + out.slice(start);
}
