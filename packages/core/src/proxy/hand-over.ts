import { connect, type Socket } from "node:net";

// After a 413, what the client still sends of its body is read and dropped until it closes, is silent this long, or
// this much longer passed: closing with unread bytes resets the connection, and a reset can destroy the answer before
// the client reads it (nginx's lingering close).
const LINGER_IDLE_MS = 200;
const LINGER_MAX_MS = 5_000;

/** Reads and drops what a client still sends after its connection's last answer, then closes it (LINGER_*). */
export function linger(client: Socket): void {
  if (client.readableEnded) {
    client.destroy();
    return;
  }
  const close = () => {
    clearTimeout(idle);
    clearTimeout(max);
    client.destroy();
  };
  let idle = setTimeout(close, LINGER_IDLE_MS);
  const max = setTimeout(close, LINGER_MAX_MS);
  client.on("data", () => {
    clearTimeout(idle);
    idle = setTimeout(close, LINGER_IDLE_MS);
  });
  client.once("end", close);
  client.resume();
}

/**
 * Gives a client connection, with the bytes read from it and not yet served, to the full proxy listening at `to` for
 * the rest of its life: the bytes pass both ways as they are.
 */
export function handOver(client: Socket, pending: Buffer | undefined, to: { host: string; port: number }): void {
  const inner = connect({ host: to.host, port: to.port, noDelay: true });
  if (pending !== undefined) inner.write(pending);
  client.pipe(inner);
  inner.pipe(client);
  inner.on("error", () => client.destroy());
  // Once the full proxy has closed and its last bytes are out, the connection goes, whatever the client does.
  client.once("finish", () => client.destroy());
  client.on("close", () => inner.destroy());
  client.resume();
}
