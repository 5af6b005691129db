import { createServer, type IncomingMessage, type Server } from "node:http";
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

// A node:http upstream standing in for nodeos' API; every request it sees is kept.
async function upstreamOf(handler: (req: IncomingMessage, res: import("node:http").ServerResponse) => void) {
  const seen: IncomingMessage[] = [];
  const port = await listen(
    createServer((req, res) => {
      seen.push(req);
      handler(req, res);
    }),
  );
  return { url: `http://127.0.0.1:${port}`, seen };
}

async function startProxy(
  upstream: string,
  gate = new ProxyGate([]),
  clientIdleTimeout?: number,
): Promise<{ port: number; proxy: PublicProxy }> {
  const started = await createProxyServer(
    { upstream, deny: DEFAULT_PROXY_DENY, retryAfterSeconds: 3, clientIdleTimeout },
    { gate, logger },
  );
  proxy = started;
  const url = await started.listen({ host: "127.0.0.1", port: 0 });
  return { port: Number(new URL(url).port), proxy: started };
}

// A raw client connection: what it has received so far, and a wait for a condition on it or for the end.
function rawClient(port: number) {
  const socket = connect({ host: "127.0.0.1", port });
  sockets.push(socket);
  let text = "";
  let ended = false;
  const waiters: Array<() => void> = [];
  const wake = () => {
    for (const waiter of waiters.splice(0)) waiter();
  };
  socket.on("data", (chunk: Buffer) => {
    text += chunk.toString("latin1");
    wake();
  });
  socket.on("close", () => {
    ended = true;
    wake();
  });
  socket.on("error", () => undefined);
  const until = async (done: (text: string) => boolean): Promise<string> => {
    while (!done(text)) {
      if (ended) throw new Error(`connection closed with: ${text}`);
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
    return text;
  };
  const closed = async (): Promise<string> => {
    while (!ended) await new Promise<void>((resolve) => waiters.push(resolve));
    return text;
  };
  return {
    socket,
    send: (bytes: string) => socket.write(bytes, "latin1"),
    until,
    closed,
    get text() {
      return text;
    },
  };
}

const GET = (path: string) => `GET ${path} HTTP/1.1\r\nHost: public.example\r\n\r\n`;

describe("public proxy, fast lane", () => {
  it("forwards plain requests itself, with the node's own address as Host", async () => {
    const node = await upstreamOf((req, res) => res.end(JSON.stringify({ host: req.headers.host, url: req.url })));
    const { port, proxy } = await startProxy(node.url);
    const res = await fetch(`http://127.0.0.1:${port}/v1/chain/get_info?x=1`, { headers: { host: "public.example" } });
    expect(await res.json()).toEqual({ host: new URL(node.url).host, url: "/v1/chain/get_info?x=1" });
    expect(proxy.counts).toEqual({ forwarded: 1, handedOver: 0 });
  });

  it("answers pipelined requests in order, whatever order the node finishes them in", async () => {
    const node = await upstreamOf((req, res) => {
      const delay = req.url === "/v1/chain/a" ? 60 : 0;
      setTimeout(() => res.end(`answer ${req.url}`), delay);
    });
    const { port, proxy } = await startProxy(node.url);
    const client = rawClient(port);
    client.send(GET("/v1/chain/a") + GET("/v1/chain/b") + GET("/v1/chain/c"));
    const text = await client.until((t) => t.includes("answer /v1/chain/c"));
    expect(text.indexOf("answer /v1/chain/a")).toBeLessThan(text.indexOf("answer /v1/chain/b"));
    expect(text.indexOf("answer /v1/chain/b")).toBeLessThan(text.indexOf("answer /v1/chain/c"));
    expect(proxy.counts.forwarded).toBe(3);
  });

  it("passes chunked answers whole and keeps the connection for the next request", async () => {
    const node = await upstreamOf((req, res) => {
      if (req.url === "/v1/chain/chunked") {
        res.write("one,");
        setTimeout(() => {
          res.write("two,");
          res.end("three");
        }, 20);
      } else res.end("next");
    });
    const { port } = await startProxy(node.url);
    const client = rawClient(port);
    client.send(GET("/v1/chain/chunked"));
    const first = await client.until((t) => t.endsWith("0\r\n\r\n"));
    expect(first).toMatch(/transfer-encoding: chunked/i);
    expect(first.replace(/\r\n[0-9a-f]+\r\n/g, "")).toContain("one,two,three");
    client.send(GET("/v1/chain/get_info"));
    await client.until((t) => t.endsWith("next"));
    expect(new Set(node.seen.map((req) => req.socket)).size).toBe(1);
  });

  it("passes an answer that ends with the node's connection, then ends the client's", async () => {
    const port = await listen(
      createNetServer((socket) => {
        socket.once("data", () =>
          socket.end("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nall of it, until the end"),
        );
      }),
    );
    const lane = await startProxy(`http://127.0.0.1:${port}`);
    const client = rawClient(lane.port);
    client.send(GET("/v1/chain/get_info"));
    expect(await client.closed()).toMatch(/\r\n\r\nall of it, until the end$/);
  });

  it("hands what it is not sure of to the full proxy: smuggling attempts and malformed heads get 400 and never reach the node", async () => {
    const node = await upstreamOf((_req, res) => res.end("reached"));
    const { port, proxy } = await startProxy(node.url);
    const attempts = [
      "POST /v1/chain/get_info HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG",
      "POST /v1/chain/get_info HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
      "GET /v1/chain/get_info HTTP/1.1\nHost: x\n\n",
      "GET /v1/chain/get_info HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
    ];
    for (const attempt of attempts) {
      const client = rawClient(port);
      client.send(attempt);
      expect(await client.closed(), JSON.stringify(attempt)).toMatch(/^HTTP\/1\.1 400 /);
    }
    expect(node.seen).toHaveLength(0);
    expect(proxy.counts).toEqual({ forwarded: 0, handedOver: attempts.length });
  });

  it("hands valid requests it does not serve to the full proxy, which forwards them", async () => {
    const node = await upstreamOf(async (req, res) => {
      let body = "";
      for await (const chunk of req) body += chunk;
      res.end(`${req.method} ${req.url} ${body}`);
    });
    const { port, proxy } = await startProxy(node.url);
    const chunked = rawClient(port);
    chunked.send("POST /v1/chain/push_transaction HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    await chunked.until((t) => t.includes("POST /v1/chain/push_transaction abc"));
    const old = rawClient(port);
    old.send("GET /v1/chain/get_info HTTP/1.0\r\n\r\n");
    await old.until((t) => t.endsWith("GET /v1/chain/get_info "));
    expect(proxy.counts).toEqual({ forwarded: 0, handedOver: 2 });
  });

  it("refuses an admin path on a connection it served before, and closes that connection", async () => {
    const node = await upstreamOf((_req, res) => res.end("ok"));
    const { port } = await startProxy(node.url);
    const client = rawClient(port);
    client.send(GET("/v1/chain/get_info"));
    await client.until((t) => t.endsWith("ok"));
    client.send(GET("/v1/producer/pause"));
    const text = await client.closed();
    expect(text).toMatch(/HTTP\/1\.1 403 [\s\S]*PRX_ERR_DENIED/);
    expect(node.seen.map((req) => req.url)).toEqual(["/v1/chain/get_info"]);
  });

  it("answers 503 on a kept-alive connection once the gate closes, and serves new connections once it opens", async () => {
    const node = await upstreamOf((_req, res) => res.end("ok"));
    const gate = new ProxyGate([]);
    const { port, proxy } = await startProxy(node.url, gate);
    const client = rawClient(port);
    client.send(GET("/v1/chain/get_info"));
    await client.until((t) => t.endsWith("ok"));
    gate.close("maintenance");
    client.send(GET("/v1/chain/get_info"));
    const text = await client.closed();
    expect(text).toMatch(/HTTP\/1\.1 503 [\s\S]*retry-after: 3[\s\S]*PRX_ERR_CLOSED/i);
    gate.release("maintenance");
    expect(await (await fetch(`http://127.0.0.1:${port}/v1/chain/get_info`)).text()).toBe("ok");
    expect(proxy.counts).toEqual({ forwarded: 2, handedOver: 1 });
  });

  it("sends a GET again on a new connection when the node dropped a kept-alive one, but never a POST", async () => {
    let requests = 0;
    const port = await listen(
      createNetServer((socket) => {
        let served = 0;
        socket.on("data", () => {
          requests++;
          // The second request on a connection finds it closed, as when the node's keep-alive timer fires.
          if (served++ === 1) socket.destroy();
          else socket.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
        });
      }),
    );
    const { port: lanePort } = await startProxy(`http://127.0.0.1:${port}`);
    const url = `http://127.0.0.1:${lanePort}/v1/chain/get_info`;
    expect(await (await fetch(url)).text()).toBe("ok");
    expect(requests).toBe(1);
    // Sent on the kept-alive connection, dropped, sent again on a new one.
    expect(await (await fetch(url)).text()).toBe("ok");
    expect(requests).toBe(3);
    const post = await fetch(url, { method: "POST", body: "{}" });
    expect(post.status).toBe(502);
    expect(((await post.json()) as { code: string }).code).toBe("PRX_ERR_UPSTREAM");
    expect(requests).toBe(4);
  });

  it("ends the connection when the node answers before the request body is complete", async () => {
    const node = await upstreamOf((_req, res) => {
      res.writeHead(413, { "content-type": "text/plain" });
      res.end("too large");
    });
    const { port } = await startProxy(node.url);
    const client = rawClient(port);
    client.send("POST /v1/chain/push_transaction HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\nonly the start");
    expect(await client.closed()).toMatch(/^HTTP\/1\.1 413 [\s\S]*\r\n9\r\ntoo large\r\n0\r\n\r\n$/);
  });

  it("at shutdown lets the answer under way finish and closes idle connections", async () => {
    let answer: () => void = () => {};
    let arrived: () => void = () => {};
    const slowArrived = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const node = await upstreamOf((req, res) => {
      if (req.url !== "/v1/chain/slow") return res.end("ok");
      answer = () => res.end("finished");
      arrived();
    });
    const { port, proxy } = await startProxy(node.url);
    const idle = rawClient(port);
    idle.send(GET("/v1/chain/get_info"));
    await idle.until((t) => t.endsWith("ok"));
    const busy = rawClient(port);
    busy.send(GET("/v1/chain/slow"));
    await slowArrived;
    const closing = proxy.close();
    await idle.closed();
    answer();
    expect(await busy.closed()).toMatch(/finished$/);
    await closing;
  });

  it("closes client connections that send no request, or only part of a head, in time", async () => {
    const node = await upstreamOf((_req, res) => res.end("ok"));
    const { port } = await startProxy(node.url, new ProxyGate([]), 200);
    const served = rawClient(port);
    served.send(GET("/v1/chain/get_info"));
    await served.until((t) => t.endsWith("ok"));
    const partial = rawClient(port);
    partial.send("GET /v1/chain/get_info HTTP/1.1\r\nHost:");
    const silent = rawClient(port);
    const started = Date.now();
    await Promise.all([served.closed(), partial.closed(), silent.closed()]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(partial.text).toBe("");
    expect(node.seen).toHaveLength(1);
  });
});
