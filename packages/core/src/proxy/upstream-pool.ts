import { connect, type Socket } from "node:net";

/** What a connection to the node tells the request that holds it. */
export interface UpstreamUser {
  /**
   * Bytes from the node, in a read buffer used again for the next read once this returns, unless the user calls
   * `keep()` on the connection meanwhile; then it gives the buffer back with `UpstreamPool.recycle` when it is done.
   */
  onUpstreamData(chunk: Buffer): void;
  onUpstreamDrain(): void;
  /** The connection closed or failed; `error` when it failed. */
  onUpstreamGone(error: Error | undefined): void;
}

// Where an origin connects to, and the Host header it expects.
interface NodeAddress {
  readonly host: string;
  readonly port: number;
  readonly header: string;
}

// Bytes read from the node at once, and read buffers kept for the next reads: each read goes into a buffer used again
// once its bytes are out, not into a new one that the garbage collector takes back (16 of them for each MiB).
const READ_SIZE = 256 * 1024;
const MAX_FREE_BUFFERS = 64;

/** Read buffers shared by the connections to the node. */
class ReadBuffers {
  readonly #free: ArrayBuffer[] = [];

  take(): Buffer {
    const free = this.#free.pop();
    return free === undefined ? Buffer.allocUnsafeSlow(READ_SIZE) : Buffer.from(free);
  }

  /** Takes back the buffer under `chunk` once nothing refers to its bytes any more; other buffers are left alone. */
  give(chunk: Buffer): void {
    const buffer = chunk.buffer;
    if (buffer instanceof ArrayBuffer && buffer.byteLength === READ_SIZE && this.#free.length < MAX_FREE_BUFFERS) this.#free.push(buffer);
  }
}

/** One keep-alive connection to the node, lent to one request at a time. */
export class UpstreamConnection {
  readonly socket: Socket;
  readonly origin: string;
  /** `host:port`, the Host header the node expects. */
  readonly host: string;
  user: UpstreamUser | undefined;
  /** It has carried a request before: the node may have closed it meanwhile. */
  reused = false;
  /** The tick it went back to the pool at. */
  idleSince = 0;

  // The user keeps the bytes of the read under way past its callback.
  #kept = false;

  constructor(origin: string, address: NodeAddress, buffers: ReadBuffers, onIdleGone: (c: UpstreamConnection) => void) {
    this.origin = origin;
    this.host = address.header;
    // Returns true: reading goes on unless the user paused the socket.
    const onRead = (length: number, buffer: Uint8Array): boolean => {
      const chunk = Buffer.from(buffer.buffer, buffer.byteOffset, length);
      if (this.user === undefined) {
        this.socket.destroy(); // the node spoke while nobody asked: the connection cannot be trusted
        buffers.give(chunk);
        return true;
      }
      this.#kept = false;
      this.user.onUpstreamData(chunk);
      if (!this.#kept) buffers.give(chunk);
      return true;
    };
    this.socket = connect({
      host: address.host,
      port: address.port,
      noDelay: true,
      onread: { buffer: () => buffers.take(), callback: onRead },
    });
    this.socket.on("drain", () => this.user?.onUpstreamDrain());
    let failure: Error | undefined;
    this.socket.on("error", (error) => {
      failure = error;
    });
    this.socket.on("close", () => {
      const user = this.user;
      this.user = undefined;
      if (user !== undefined) user.onUpstreamGone(failure);
      else onIdleGone(this);
    });
  }

  /** Called by the user during `onUpstreamData`: the chunk's bytes stay in use, until `UpstreamPool.recycle`. */
  keep(): void {
    this.#kept = true;
  }

  get usable(): boolean {
    return !this.socket.destroyed && this.socket.writable;
  }
}

/** Keep-alive connections to the node, shared by every client connection of the fast lane. */
export class UpstreamPool {
  readonly #idle = new Map<string, UpstreamConnection[]>();
  readonly #addresses = new Map<string, NodeAddress>();
  readonly #maxIdle: number;
  readonly #buffers = new ReadBuffers();

  constructor(opts: { maxIdle: number }) {
    this.#maxIdle = opts.maxIdle;
  }

  /** An idle connection to `origin` (`http://host:port`), or a new one when none is or `fresh`; held by `user` until released. */
  acquire(origin: string, user: UpstreamUser, fresh = false): UpstreamConnection {
    const idle = this.#idle.get(origin);
    while (!fresh && idle !== undefined && idle.length > 0) {
      const connection = idle.pop() as UpstreamConnection;
      if (!connection.usable) continue;
      connection.user = user;
      return connection;
    }
    const connection = new UpstreamConnection(origin, this.#address(origin), this.#buffers, (c) => this.#forget(c));
    connection.user = user;
    return connection;
  }

  /** Takes a connection back after a complete response, at tick `now`; one that cannot carry another request is closed. */
  release(connection: UpstreamConnection, reusable: boolean, now: number): void {
    connection.user = undefined;
    connection.reused = true;
    connection.idleSince = now;
    let idle = this.#idle.get(connection.origin);
    if (idle === undefined) {
      idle = [];
      this.#idle.set(connection.origin, idle);
    }
    if (!reusable || !connection.usable || idle.length >= this.#maxIdle) {
      connection.socket.destroy();
      return;
    }
    // Paused when the last client read slower than the node wrote; the next one starts afresh.
    connection.socket.resume();
    idle.push(connection);
  }

  /** Takes back the read buffer of a chunk the user kept (`UpstreamConnection.keep`), once its bytes are out. */
  recycle(chunk: Buffer): void {
    this.#buffers.give(chunk);
  }

  /** Closes the connections idle since before tick `before`. */
  sweep(before: number): void {
    for (const idle of this.#idle.values()) {
      for (const connection of idle) if (connection.idleSince < before) connection.socket.destroy();
    }
  }

  /** Closes every idle connection. */
  close(): void {
    for (const idle of this.#idle.values()) for (const connection of idle) connection.socket.destroy();
    this.#idle.clear();
  }

  #forget(connection: UpstreamConnection): void {
    const idle = this.#idle.get(connection.origin);
    const at = idle?.indexOf(connection) ?? -1;
    if (idle !== undefined && at >= 0) idle.splice(at, 1);
  }

  #address(origin: string): NodeAddress {
    let address = this.#addresses.get(origin);
    if (address === undefined) {
      const url = new URL(origin);
      address = { host: url.hostname.replace(/^\[|\]$/g, ""), port: Number(url.port || 80), header: url.host };
      this.#addresses.set(origin, address);
    }
    return address;
  }
}
