import { ChunkedEnd, type ResponseFraming } from "./http1.js";

/** Where the body of one of the node's answers ends, followed through its bytes as they pass. */
export class BodyEnd {
  readonly #framing: ResponseFraming;
  #left = 0;
  readonly #chunked: ChunkedEnd | undefined;

  constructor(framing: ResponseFraming) {
    this.#framing = framing;
    if (framing.kind === "length") this.#left = framing.length;
    else if (framing.kind === "chunked") this.#chunked = new ChunkedEnd();
  }

  /**
   * Reads `bytes` from `from`; returns the index just past the body's end, or -1 while it goes on (always, for a body
   * that ends with the connection). Throws on a malformed chunked body.
   */
  feed(bytes: Buffer, from: number): number {
    switch (this.#framing.kind) {
      case "length": {
        const take = Math.min(this.#left, bytes.length - from);
        this.#left -= take;
        return this.#left === 0 ? from + take : -1;
      }
      case "chunked":
        return (this.#chunked as ChunkedEnd).feed(bytes, from);
      case "none":
        return from;
      case "close":
        return -1;
    }
  }
}
