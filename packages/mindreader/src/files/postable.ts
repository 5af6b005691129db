/**
 * `bytes` over memory of their own, to post to a thread: posting a typed array copies its whole ArrayBuffer, and a
 * small Buffer is often a view of a shared 8 KiB pool or of a larger output buffer (a copy of 64 KiB a message for a
 * 65-byte file head). Shared memory is never copied, so it is left as it is.
 */
export function postable(bytes: Uint8Array): Uint8Array {
  const { buffer } = bytes;
  if (!(buffer instanceof ArrayBuffer) || (bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength)) return bytes;
  return new Uint8Array(bytes);
}
