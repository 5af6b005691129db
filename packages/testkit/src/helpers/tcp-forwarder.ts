import { createConnection, createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

/**
 * How a cut looks from the client: `refuse` closes the listener and resets every connection (a host that is
 * down); `drop` keeps every connection open and accepts new ones but passes no byte either way (packets lost
 * on the way, so calls wait for their deadlines).
 */
export type CutMode = "refuse" | "drop";

/** A TCP forwarder on loopback that can cut the link to its target and restore it, on the same port. */
export interface TcpForwarder {
  /** `127.0.0.1:<port>`, to give clients instead of the target. */
  readonly address: string;
  cut(mode?: CutMode): Promise<void>;
  /** Resets the connections held during a `drop` cut and forwards again, on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

interface Link {
  readonly client: Socket;
  readonly upstream: Socket | undefined;
}

/** Forwards 127.0.0.1:<a free port> to `target` (`host:port`, an `http://` prefix is ignored). */
export async function startTcpForwarder(target: string): Promise<TcpForwarder> {
  const [host = "127.0.0.1", portText = ""] = target.replace(/^https?:\/\//, "").split(":");
  const targetPort = Number(portText);
  const links = new Set<Link>();
  let dropping = false;
  let server: Server | undefined;
  let port = 0;

  const connect = (client: Socket): void => {
    client.on("error", () => undefined);
    if (dropping) {
      // Accepted, then silence: the bytes the client sends go nowhere.
      client.resume();
      links.add({ client, upstream: undefined });
      return;
    }
    const upstream = createConnection({ host, port: targetPort });
    upstream.on("error", () => undefined);
    const link = { client, upstream };
    links.add(link);
    const forward = (from: Socket, to: Socket) =>
      from.on("data", (chunk: Buffer) => {
        if (!dropping) to.write(chunk);
      });
    forward(client, upstream);
    forward(upstream, client);
    const end = () => {
      links.delete(link);
      client.destroy();
      upstream.destroy();
    };
    client.on("close", end);
    upstream.on("close", end);
  };

  const listen = async (): Promise<void> => {
    const next = createServer(connect);
    await new Promise<void>((resolve, reject) => {
      next.once("error", reject);
      next.listen(port, "127.0.0.1", () => resolve());
    });
    server = next;
    port = (next.address() as AddressInfo).port;
  };

  const resetAll = (): void => {
    for (const link of links) {
      link.client.resetAndDestroy();
      link.upstream?.destroy();
    }
    links.clear();
  };

  const closeListener = async (): Promise<void> => {
    const current = server;
    server = undefined;
    if (current !== undefined) await new Promise<void>((resolve) => current.close(() => resolve()));
  };

  await listen();
  return {
    address: `127.0.0.1:${port}`,
    async cut(mode: CutMode = "drop") {
      if (mode === "drop") {
        dropping = true;
        return;
      }
      const closed = closeListener();
      resetAll();
      await closed;
    },
    async restore() {
      if (dropping) {
        dropping = false;
        resetAll();
      }
      if (server === undefined) await listen();
    },
    async close() {
      dropping = false;
      const closed = closeListener();
      resetAll();
      await closed;
    },
  };
}
