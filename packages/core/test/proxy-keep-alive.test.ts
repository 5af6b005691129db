import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type AddressInfo, connect, createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { createProxyServer, DEFAULT_PROXY_DENY, ProxyGate, type PublicProxy } from "../src/index.js";

const logger = pino({ level: "silent" });
let servers: Array<Server | NetServer> = [];
let proxy: PublicProxy | undefined;
let sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets = [];
  await proxy?.close();
  proxy = undefined;
  for (const server of servers) {
    if ("closeAllConnections" in server) server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  servers = [];
});

async function listen(server: Server | NetServer): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

// A node:http upstream that counts the connections it accepted and keeps the requests it saw.
async function countingUpstream(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const seen: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    seen.push(req);
    handler(req, res);
  });
  let accepted = 0;
  server.on("connection", () => accepted++);
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, seen, accepted: () => accepted };
}

async function startProxy(upstream: string, maxBodySize?: number): Promise<number> {
  const started = await createProxyServer(
    { upstream, deny: DEFAULT_PROXY_DENY, retryAfterSeconds: 3, maxBodySize },
    { gate: new ProxyGate([]), logger },
  );
  proxy = started;
  return Number(new URL(await started.listen({ host: "127.0.0.1", port: 0 })).port);
}

// One request on a new connection; resolves everything the proxy sent until it closed the connection.
function oneShot(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    sockets.push(socket);
    let text = "";
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString("latin1");
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(text));
    socket.write(request, "latin1");
  });
}

// A connection kept open: sends requests, resolves each answer once `done` holds for what arrived since.
function keptClient(port: number) {
  const socket = connect({ host: "127.0.0.1", port });
  sockets.push(socket);
  let text = "";
  let wake: (() => void) | undefined;
  socket.on("data", (chunk: Buffer) => {
    text += chunk.toString("latin1");
    wake?.();
  });
  socket.on("close", () => wake?.());
  return {
    socket,
    async ask(request: string, done: (text: string) => boolean): Promise<string> {
      text = "";
      socket.write(request, "latin1");
      while (!done(text)) {
        if (socket.destroyed) throw new Error(`connection closed with: ${text}`);
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      return text;
    },
  };
}

const CLOSE = (path: string) => `GET ${path} HTTP/1.1\r\nHost: public.example\r\nConnection: close\r\n\r\n`;
const GET = (path: string) => `GET ${path} HTTP/1.1\r\nHost: public.example\r\n\r\n`;
const sha = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

// Resolves once `value()` has not changed for `quietMs`: how far a stream got before backpressure stopped it.
async function settled(value: () => number, quietMs = 400): Promise<number> {
  let last = -1;
  while (value() !== last) {
    last = value();
    await new Promise((resolve) => setTimeout(resolve, quietMs));
  }
  return last;
}

describe("public proxy, connections to the node", () => {
  it("keeps the node's connection when a client sends Connection: close: the client's connection alone ends", async () => {
    const node = await countingUpstream((_req, res) => res.end("ok"));
    const port = await startProxy(node.url);
    for (let i = 0; i < 30; i++) {
      const answer = await oneShot(port, CLOSE("/v1/chain/get_info"));
      expect(answer).toMatch(/^HTTP\/1\.1 200 [\s\S]*\r\nconnection: close\r\n\r\nok$/i);
      expect(answer).not.toMatch(/keep-alive/i);
    }
    expect(node.seen).toHaveLength(30);
    // The node never hears the client's close, and one connection carried every request.
    expect(node.seen.every((req) => req.headers.connection === undefined)).toBe(true);
    expect(node.accepted()).toBe(1);
  });

  it("ends a Connection: close answer whole and cleanly, small or large, read slowly, and with bytes sent after it", async () => {
    // The proxy closes once the answer is with the kernel, long before a slow reader has it: it must still all arrive.
    const answers: Record<string, Buffer> = { "/small": Buffer.from("ok"), "/big": randomBytes(4 * 1024 * 1024) };
    const node = await countingUpstream((req, res) => res.end(answers[req.url as string]));
    const port = await startProxy(node.url);
    // A client that reads its answer slowly, then sees the connection end (FIN, not a reset).
    const slowly = (request: string) =>
      new Promise<{ bytes: Buffer; ended: boolean }>((resolve, reject) => {
        const socket = connect({ host: "127.0.0.1", port });
        sockets.push(socket);
        const chunks: Buffer[] = [];
        let ended = false;
        socket.on("data", (chunk: Buffer) => {
          chunks.push(chunk);
          socket.pause();
          setTimeout(() => socket.resume(), 1);
        });
        socket.on("end", () => {
          ended = true;
        });
        socket.on("error", reject);
        socket.on("close", () => resolve({ bytes: Buffer.concat(chunks), ended }));
        socket.write(request, "latin1");
      });
    for (const [path, expected] of Object.entries(answers)) {
      const { bytes, ended } = await slowly(CLOSE(path));
      expect(ended).toBe(true);
      const text = bytes.toString("latin1");
      expect(text).toMatch(/^HTTP\/1\.1 200 /);
      expect(sha(bytes.subarray(text.indexOf("\r\n\r\n") + 4))).toBe(sha(expected));
    }
    // Bytes after the closing request: the first answer still arrives whole before the connection ends.
    const answer = await oneShot(port, CLOSE("/small") + GET("/small"));
    expect(answer).toMatch(/^HTTP\/1\.1 200 [\s\S]*\r\n\r\nok$/);
  });

  it("serves many concurrent Connection: close clients over a bounded number of node connections", async () => {
    const node = await countingUpstream((_req, res) => setTimeout(() => res.end("ok"), 2));
    const port = await startProxy(node.url);
    const CLIENTS = 8;
    const EACH = 25;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        for (let i = 0; i < EACH; i++) expect(await oneShot(port, CLOSE("/v1/chain/get_info"))).toMatch(/\r\n\r\nok$/);
      }),
    );
    expect(node.seen).toHaveLength(CLIENTS * EACH);
    // At most one node connection per request under way at once, kept from one client connection to the next.
    expect(node.accepted()).toBeLessThanOrEqual(CLIENTS);
  });

  it("takes the node's hop-by-hop fields out of its answers, and keeps the client's connection when the node closes its own", async () => {
    let accepted = 0;
    const port = await listen(
      createNetServer((socket) => {
        accepted++;
        socket.once("data", () => {
          socket.end(
            "HTTP/1.1 200 OK\r\nConnection: X-Hop, close\r\nKeep-Alive: timeout=5\r\nX-Hop: for the node's connection\r\ncontent-length: 2\r\nX-End: 1\r\n\r\nok",
          );
        });
      }),
    );
    const lane = await startProxy(`http://127.0.0.1:${port}`);
    const client = keptClient(lane);
    for (let i = 0; i < 3; i++) {
      const answer = await client.ask(GET("/v1/chain/get_info"), (t) => t.endsWith("\r\n\r\nok"));
      expect(answer).toBe("HTTP/1.1 200 OK\r\ncontent-length: 2\r\nX-End: 1\r\n\r\nok");
    }
    // The node closed after each answer: a new connection to it each time, over one client connection.
    expect(accepted).toBe(3);
    expect(client.socket.destroyed).toBe(false);
  });

  it("passes a 1 MiB answer and a 1 MiB request body intact, on kept-alive connections both sides", async () => {
    const large = randomBytes(1024 * 1024);
    const node = await countingUpstream(async (req, res) => {
      if (req.method === "GET") return res.end(large);
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      res.setHeader("content-type", "application/octet-stream");
      res.end(body);
    });
    const port = await startProxy(node.url, 4 * 1024 * 1024);
    const url = `http://127.0.0.1:${port}/v1/chain/get_block`;
    for (let i = 0; i < 3; i++) {
      const got = Buffer.from(await (await fetch(url)).arrayBuffer());
      expect(got.length).toBe(large.length);
      expect(sha(got)).toBe(sha(large));
      const upload = randomBytes(1024 * 1024 + i);
      const echoed = Buffer.from(await (await fetch(url, { method: "POST", body: upload })).arrayBuffer());
      expect(echoed.length).toBe(upload.length);
      expect(sha(echoed)).toBe(sha(upload));
    }
    expect(node.accepted()).toBeLessThanOrEqual(2);
    expect(proxy?.counts.handedOver).toBe(0);
  });

  it("passes concurrent large answers to slow clients each intact: the read buffers it uses again never mix two answers", async () => {
    // Larger than what the kernel holds for a client that does not read, so that the proxy holds writes itself.
    const bodies = Array.from({ length: 6 }, () => randomBytes(12 * 1024 * 1024 + 7));
    let written = 0;
    const node = await countingUpstream((req, res) => {
      const body = bodies[Number(req.url?.split("/").at(-1))] as Buffer;
      res.writeHead(200, { "content-length": body.length });
      // Written in uneven pieces, so that reads end anywhere in the answer.
      let at = 0;
      const next = () => {
        while (at < body.length) {
          const piece = body.subarray(at, at + 10_000 + ((at / 1000) % 50_000));
          at += piece.length;
          written += piece.length;
          if (!res.write(piece)) return res.once("drain", next);
        }
        res.end();
      };
      next();
    });
    const port = await startProxy(node.url);
    const clients = bodies.map((body, i) => {
      const socket = connect({ host: "127.0.0.1", port });
      sockets.push(socket);
      socket.pause();
      const chunks: Buffer[] = [];
      let received = 0;
      let headLength = -1;
      const whole = new Promise<Buffer>((resolve) => {
        socket.on("data", (chunk: Buffer) => {
          chunks.push(chunk);
          received += chunk.length;
          if (headLength < 4) headLength = Buffer.concat(chunks).indexOf("\r\n\r\n") + 4;
          if (headLength >= 4 && received - headLength >= body.length) resolve(Buffer.concat(chunks).subarray(headLength));
        });
      });
      socket.write(GET(`/v1/chain/get_block/${i}`), "latin1");
      return { socket, whole };
    });
    // Nobody reads: the proxy holds writes to every client while it goes on reading what the node sent.
    await settled(() => written);
    for (const { socket } of clients) socket.resume();
    const got = await Promise.all(clients.map((c) => c.whole));
    for (const [i, bytes] of got.entries()) expect(sha(bytes), `answer ${i}`).toBe(sha(bodies[i] as Buffer));
  });

  it("holds a large answer back while the client does not read, and passes it whole once it does", async () => {
    const SIZE = 64 * 1024 * 1024;
    const body = Buffer.alloc(SIZE);
    for (let i = 0; i < SIZE; i += 4) body.writeUInt32LE(i, i);
    let written = 0;
    const node = await countingUpstream((_req, res) => {
      res.writeHead(200, { "content-length": SIZE });
      const next = () => {
        while (written < SIZE) {
          const chunk = body.subarray(written, written + 256 * 1024);
          written += chunk.length;
          if (!res.write(chunk)) return res.once("drain", next);
        }
        res.end();
      };
      next();
    });
    const port = await startProxy(node.url);
    const socket = connect({ host: "127.0.0.1", port });
    sockets.push(socket);
    socket.pause();
    socket.write(GET("/v1/chain/get_block"), "latin1");
    // Nothing read: the node is held back by the proxy's backpressure, far short of the whole answer.
    const before = await settled(() => written);
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(SIZE / 2);
    const chunks: Buffer[] = [];
    let received = 0;
    let headLength = -1;
    const whole = new Promise<void>((resolve) => {
      socket.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
        received += chunk.length;
        if (headLength < 4) headLength = Buffer.concat(chunks).indexOf("\r\n\r\n") + 4;
        if (headLength > 3 && received - headLength >= SIZE) resolve();
      });
    });
    socket.resume();
    await whole;
    const all = Buffer.concat(chunks);
    const start = all.indexOf("\r\n\r\n") + 4;
    expect(all.length - start).toBe(SIZE);
    expect(sha(all.subarray(start))).toBe(sha(body));
  });

  it("holds a large request body back while the node does not read, and passes it whole once it does", async () => {
    const SIZE = 64 * 1024 * 1024;
    let release: () => void = () => {};
    const reading = new Promise<void>((resolve) => {
      release = resolve;
    });
    const node = await countingUpstream(async (req, res) => {
      await reading;
      const hash = createHash("sha256");
      let size = 0;
      for await (const chunk of req) {
        hash.update(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
      res.end(`${size} ${hash.digest("hex")}`);
    });
    const port = await startProxy(node.url, 2 * SIZE);
    const body = randomBytes(SIZE);
    const socket = connect({ host: "127.0.0.1", port });
    sockets.push(socket);
    let text = "";
    const answered = new Promise<void>((resolve) => {
      socket.on("data", (chunk: Buffer) => {
        text += chunk.toString("latin1");
        if (/\r\n\r\n\d+ [0-9a-f]{64}$/.test(text)) resolve();
      });
    });
    socket.write(`POST /v1/chain/push_transaction HTTP/1.1\r\nHost: x\r\nContent-Length: ${SIZE}\r\n\r\n`, "latin1");
    let sent = 0;
    const send = () => {
      while (sent < SIZE) {
        const chunk = body.subarray(sent, sent + 256 * 1024);
        sent += chunk.length;
        if (!socket.write(chunk)) return socket.once("drain", send);
      }
    };
    send();
    // The node reads nothing yet: the client is held back, far short of the whole body.
    const before = await settled(() => sent);
    expect(before).toBeLessThan(SIZE / 2);
    release();
    await answered;
    expect(text).toMatch(new RegExp(`\\r\\n\\r\\n${SIZE} ${sha(body)}$`));
  });
});
