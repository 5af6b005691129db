import { MindreaderErrors } from "../errors.js";

/** The type URL of an Antelope block: the content type of every dbin file the mindreader writes. */
export const ANTELOPE_CONTENT_TYPE = "type.googleapis.com/sf.antelope.type.v1.Block";

const MAGIC = Buffer.from("dbin", "latin1");
const VERSION = 0x01;

/** A dbin v1 file read back: its content type and its messages, in order. */
export interface DbinFile {
  readonly contentType: string;
  /** Length of the header in bytes (magic, version, content type). */
  readonly headerLength: number;
  readonly messages: Uint8Array[];
}

/** `dbin`, version 1, the content type's length as a big-endian uint16, then the content type. */
export function dbinHeader(contentType: string = ANTELOPE_CONTENT_TYPE): Buffer {
  const type = Buffer.from(contentType, "utf8");
  if (type.length === 0 || type.length > 0xffff) throw MindreaderErrors.options(`dbin content type of ${type.length} bytes`);
  const header = Buffer.alloc(7 + type.length);
  MAGIC.copy(header, 0);
  header[4] = VERSION;
  header.writeUInt16BE(type.length, 5);
  type.copy(header, 7);
  return header;
}

/** One dbin frame: the message's length as a big-endian uint32, then the message; in a buffer of its own. */
export function dbinFrame(message: Uint8Array): Uint8Array {
  const frame = new Uint8Array(4 + message.length);
  new DataView(frame.buffer).setUint32(0, message.length);
  frame.set(message, 4);
  return frame;
}

/** Reads a whole dbin v1 file; a bad header or a frame cut short is MDR_ERR_DECODE naming `what`. */
export function readDbin(bytes: Uint8Array, what: string): DbinFile {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 7 || !buf.subarray(0, 4).equals(MAGIC)) throw MindreaderErrors.decode(what, "no dbin magic");
  if (buf[4] !== VERSION) throw MindreaderErrors.decode(what, `dbin version ${buf[4]}, want ${VERSION}`);
  const typeLength = buf.readUInt16BE(5);
  const headerLength = 7 + typeLength;
  if (buf.length < headerLength) throw MindreaderErrors.decode(what, "dbin header cut short");
  const contentType = buf.toString("utf8", 7, headerLength);
  const messages: Uint8Array[] = [];
  let at = headerLength;
  while (at < buf.length) {
    if (at + 4 > buf.length) throw MindreaderErrors.decode(what, `frame length cut short at byte ${at}`);
    const length = buf.readUInt32BE(at);
    if (at + 4 + length > buf.length) throw MindreaderErrors.decode(what, `frame of ${length} bytes at byte ${at} cut short`);
    messages.push(buf.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return { contentType, headerLength, messages };
}
