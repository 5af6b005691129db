// The little of HTTP/1.1 the public proxy's fast lane reads: request heads it can forward without doubt, and the
// framing of the node's answers. Anything it is not sure of is not its business: the request goes to the full proxy.

/** The end of a head. */
export const HEAD_END = Buffer.from("\r\n\r\n");
/** The largest request head the fast lane reads (node:http's default limit); larger ones go to the full proxy. */
export const MAX_REQUEST_HEAD = 16 * 1024;
/** The largest response head accepted from the node. */
export const MAX_RESPONSE_HEAD = 64 * 1024;

// Header lines of a token name, a colon, and a value of visible characters, spaces and tabs, each ending in CRLF:
// no obs-fold, no bare CR or LF, no whitespace before the colon, no control characters.
const HEADER_LINES = /^(?:[!#$%&'*+.^_`|~0-9A-Za-z-]+:[\t\x20-\x7e\x80-\xff]*\r\n)*$/;
// A request line the fast lane forwards: GET or POST, an origin-form target of plain path segments (nothing to decode
// or resolve, so the deny list reads it as the node will) and a query of visible characters, HTTP/1.1.
const REQUEST_LINE = /^(GET|POST) ((?:\/[A-Za-z0-9_~-]+)*\/?)(\?[\x21-\x7e]*)? HTTP\/1\.1$/;
const DIGITS = /^\d{1,15}$/;
// Request headers that change what a message is or how long it lasts, which the full proxy handles.
const FULL_PROXY_HEADERS = new Set(["transfer-encoding", "upgrade", "te", "trailer", "proxy-connection", "http2-settings"]);

/** A request head the fast lane can forward as it is, but for its Host and its hop-by-hop fields. */
export interface PlainRequest {
  readonly method: "GET" | "POST";
  /** The path, without the query. */
  readonly path: string;
  readonly contentLength: number;
  /** The client asked to close the connection after this request. */
  readonly close: boolean;
  /** The client sent `Expect: 100-continue` and waits for a `100 Continue` before its body. */
  readonly expectContinue: boolean;
  /**
   * The head to send to the node, given its host: the request line and headers, with `Host` replaced, and `Expect`,
   * `Connection` and `Keep-Alive` left out (they are the client connection's: a client's close is not the node's).
   */
  readonly forward: (host: string) => string;
}

/**
 * Reads a complete request head (up to and including its blank line, as latin1). Returns undefined when the fast
 * lane must not forward it itself: another method or version, a path to decode, a header it leaves to the full
 * proxy, a repeated Content-Length, Host or Expect, an Expect other than 100-continue, a Connection naming anything
 * but close or keep-alive, anything malformed (a Content-Length of anything but digits between spaces and tabs
 * included: the full proxy refuses it).
 */
export function readPlainRequest(head: string): PlainRequest | undefined {
  const lineEnd = head.indexOf("\r\n");
  const line = REQUEST_LINE.exec(head.slice(0, lineEnd));
  if (line === null) return undefined;
  const headers = head.slice(lineEnd + 2, head.length - 2);
  if (!HEADER_LINES.test(headers)) return undefined;
  let contentLength: number | undefined;
  let close = false;
  let expectContinue = false;
  // The header lines forwarded, before and after Host; `kept` is where the lines not yet copied start.
  let before: string | undefined;
  let out = "";
  let kept = 0;
  for (let start = 0; start < headers.length; ) {
    const end = headers.indexOf("\r\n", start);
    const colon = headers.indexOf(":", start);
    const name = headers.slice(start, colon).toLowerCase();
    let drop = false;
    if (name === "content-length") {
      const value = fieldValue(headers, colon + 1, end);
      if (contentLength !== undefined || !DIGITS.test(value)) return undefined;
      contentLength = Number(value);
    } else if (name === "host") {
      if (before !== undefined) return undefined;
      before = out + headers.slice(kept, start);
      out = "";
      kept = end + 2;
    } else if (name === "connection") {
      const value = fieldValue(headers, colon + 1, end).toLowerCase();
      if (value === "close") close = true;
      else if (value !== "keep-alive") return undefined;
      drop = true;
    } else if (name === "keep-alive") {
      drop = true;
    } else if (name === "expect") {
      if (expectContinue || fieldValue(headers, colon + 1, end).toLowerCase() !== "100-continue") return undefined;
      // The proxy answers the expectation itself (as nginx does): the node gets no Expect, so sends no 100 of its own.
      expectContinue = true;
      drop = true;
    } else if (FULL_PROXY_HEADERS.has(name)) {
      return undefined;
    }
    if (drop) {
      out += headers.slice(kept, start);
      kept = end + 2;
    }
    start = end + 2;
  }
  if (before === undefined) return undefined;
  const requestLine = head.slice(0, lineEnd + 2);
  const first = before;
  const after = out + headers.slice(kept);
  return {
    method: line[1] as "GET" | "POST",
    path: line[2] ?? "/",
    contentLength: contentLength ?? 0,
    close,
    expectContinue,
    forward: (host) => `${requestLine}${first}host: ${host}\r\n${after}\r\n`,
  };
}

// A field's value without the spaces and tabs around it: the only whitespace HTTP allows there (RFC 9110 5.5), where
// String.trim() would also take a no-break space that the node's parser refuses.
function fieldValue(text: string, from: number, to: number): string {
  let start = from;
  let end = to;
  while (start < end && (text.charCodeAt(start) === 32 || text.charCodeAt(start) === 9)) start++;
  while (end > start && (text.charCodeAt(end - 1) === 32 || text.charCodeAt(end - 1) === 9)) end--;
  return text.slice(start, end);
}

/** How the body of a response ends. */
export type ResponseFraming =
  | { readonly kind: "none" }
  | { readonly kind: "length"; readonly length: number }
  | { readonly kind: "chunked" }
  | { readonly kind: "close" };

/** The head of one of the node's responses. */
export interface ResponseHead {
  readonly status: number;
  readonly framing: ResponseFraming;
  /** The node closes the connection after this response. */
  readonly close: boolean;
  /**
   * What the client gets of it: the status line and the end-to-end header lines, each ending in CRLF, without the
   * blank line. The node's hop-by-hop fields are its connection's and left out (RFC 9110 7.6.1): Connection and the
   * fields it names, Keep-Alive, Proxy-Connection, TE, Upgrade.
   */
  readonly forward: string;
}

const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: [^\r\n]*)?$/;
// Response fields that concern the node's connection only. Transfer-Encoding stays: the body passes as it was coded.
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "te", "upgrade"]);

/** Reads a complete response head; throws on one the fast lane cannot frame. */
export function readResponseHead(head: string): ResponseHead {
  const lineEnd = head.indexOf("\r\n");
  const line = STATUS_LINE.exec(head.slice(0, lineEnd));
  if (line === null) throw new Error("the node answered with an invalid status line");
  const status = Number(line[2]);
  let length: number | undefined;
  let chunked = false;
  let encoded = false;
  let saysClose = false;
  let saysKeepAlive = false;
  // Fields the node's Connection names besides close and keep-alive: hop-by-hop too.
  let named: Set<string> | undefined;
  let forward = "";
  let kept = 0;
  for (let start = lineEnd + 2; start < head.length - 2; ) {
    const end = head.indexOf("\r\n", start);
    const colon = head.indexOf(":", start);
    if (colon === -1 || colon > end) throw new Error("the node answered with an invalid header line");
    const name = head.slice(start, colon).trim().toLowerCase();
    const value = fieldValue(head, colon + 1, end);
    if (name === "content-length") {
      if (!DIGITS.test(value) || (length !== undefined && length !== Number(value)))
        throw new Error("the node answered with an invalid Content-Length");
      length = Number(value);
    } else if (name === "transfer-encoding") {
      encoded = true;
      chunked = /(?:^|,)\s*chunked\s*$/i.test(value);
    } else if (name === "connection") {
      for (const token of value.toLowerCase().split(",")) {
        const option = token.trim();
        if (option === "close") saysClose = true;
        else if (option === "keep-alive") saysKeepAlive = true;
        else if (option !== "") {
          named ??= new Set();
          named.add(option);
        }
      }
    }
    if (HOP_BY_HOP.has(name)) {
      forward += head.slice(kept, start);
      kept = end + 2;
    }
    start = end + 2;
  }
  forward += head.slice(kept, head.length - 2);
  if (named !== undefined) forward = withoutFields(forward, named);
  let framing: ResponseFraming;
  if ((status >= 100 && status < 200) || status === 204 || status === 304) framing = { kind: "none" };
  else if (encoded) framing = chunked ? { kind: "chunked" } : { kind: "close" };
  else if (length !== undefined) framing = { kind: "length", length };
  else framing = { kind: "close" };
  const close = saysClose || (line[1] === "0" && !saysKeepAlive) || framing.kind === "close";
  return { status, framing, close, forward };
}

// A head's lines (status line first, each ending in CRLF) without the fields of the given lowercase names.
function withoutFields(lines: string, names: ReadonlySet<string>): string {
  const lineEnd = lines.indexOf("\r\n") + 2;
  let out = lines.slice(0, lineEnd);
  for (let start = lineEnd; start < lines.length; ) {
    const end = lines.indexOf("\r\n", start) + 2;
    const name = lines.slice(start, lines.indexOf(":", start)).trim().toLowerCase();
    if (!names.has(name)) out += lines.slice(start, end);
    start = end;
  }
  return out;
}

// Where a chunked body is: in a size line, at its LF, in chunk data, at the CRLF after it, in the trailers.
const ChunkState = { Size: 0, Extension: 1, SizeLineEnd: 2, Data: 3, DataEnd: 4, Trailer: 5 } as const;

/** Follows a chunked body through the bytes as they pass, to tell where it ends; throws on a malformed one. */
export class ChunkedEnd {
  #state: number = ChunkState.Size;
  #size = 0;
  #digits = 0;
  #left = 0;
  // Characters of the current trailer line; a trailer section ends at an empty line.
  #lineLength = 0;
  #sawCr = false;

  /** Reads `bytes` from `from`; returns the index just past the body's end, or -1 when it goes on. */
  feed(bytes: Buffer, from = 0): number {
    let i = from;
    while (i < bytes.length) {
      switch (this.#state) {
        case ChunkState.Size: {
          const c = bytes[i++] as number;
          const digit = hexValue(c);
          if (digit >= 0) {
            if (++this.#digits > 12) throw new Error("the node answered with an oversized chunk");
            this.#size = this.#size * 16 + digit;
          } else if (this.#digits === 0) {
            throw new Error("the node answered with an invalid chunk size");
          } else if (c === 13) {
            this.#state = ChunkState.SizeLineEnd;
          } else if (c === 59 || c === 32 || c === 9) {
            this.#state = ChunkState.Extension;
          } else {
            throw new Error("the node answered with an invalid chunk size");
          }
          break;
        }
        case ChunkState.Extension: {
          // a chunk extension or whitespace after the size: skipped to the line end
          const cr = bytes.indexOf(13, i);
          if (cr === -1) i = bytes.length;
          else {
            i = cr + 1;
            this.#state = ChunkState.SizeLineEnd;
          }
          break;
        }
        case ChunkState.SizeLineEnd:
          if (bytes[i++] !== 10) throw new Error("the node answered with an invalid chunk line");
          if (this.#size === 0) {
            this.#state = ChunkState.Trailer;
            this.#lineLength = 0;
            this.#sawCr = false;
          } else {
            this.#left = this.#size;
            this.#state = ChunkState.Data;
          }
          break;
        case ChunkState.Data: {
          const take = Math.min(this.#left, bytes.length - i);
          i += take;
          this.#left -= take;
          if (this.#left === 0) {
            this.#state = ChunkState.DataEnd;
            this.#sawCr = false;
          }
          break;
        }
        case ChunkState.DataEnd: {
          const c = bytes[i++];
          if (!this.#sawCr) {
            if (c !== 13) throw new Error("the node answered with a chunk longer than its size");
            this.#sawCr = true;
          } else {
            if (c !== 10) throw new Error("the node answered with an invalid chunk end");
            this.#state = ChunkState.Size;
            this.#size = 0;
            this.#digits = 0;
          }
          break;
        }
        case ChunkState.Trailer: {
          const c = bytes[i++];
          if (c === 13) this.#sawCr = true;
          else if (c === 10 && this.#sawCr) {
            if (this.#lineLength === 0) return i;
            this.#lineLength = 0;
            this.#sawCr = false;
          } else {
            this.#lineLength++;
            this.#sawCr = false;
          }
          break;
        }
      }
    }
    return -1;
  }
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}
