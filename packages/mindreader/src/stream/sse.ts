import type { ServerResponse } from "node:http";

/** One server-sent event as written on the wire. */
export function formatSseEvent(event: string, data: unknown, id?: string | number): string {
  const idLine = id === undefined ? "" : `id: ${id}\n`;
  return `event: ${event}\n${idLine}data: ${JSON.stringify(data)}\n\n`;
}

/** A server-sent events writer over a raw response that gives up on clients too slow to read. */
export class SseWriter {
  private closed = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly maxBufferedBytes = 4 * 1024 * 1024,
  ) {}

  /** Sends the status line and headers. */
  open(): void {
    this.res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    this.res.on("close", () => {
      this.closed = true;
    });
  }

  /** Writes one event; false once the client is gone or was dropped for not reading. */
  send(event: string, data: unknown, id?: string | number): boolean {
    return this.write(formatSseEvent(event, data, id));
  }

  /** A comment line that keeps proxies from closing an idle stream. */
  heartbeat(): boolean {
    return this.write(": keep-alive\n\n");
  }

  /** Ends the stream. */
  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.res.end();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private write(text: string): boolean {
    if (this.closed) return false;
    if (this.res.writableLength > this.maxBufferedBytes) {
      this.end();
      return false;
    }
    this.res.write(text);
    return true;
  }
}
