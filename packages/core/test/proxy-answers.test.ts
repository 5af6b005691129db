import { APIClient, APIError } from "@wharfkit/antelope";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, request, type Server } from "node:http";
import { type AddressInfo, connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { createProxyServer, DEFAULT_PROXY_DENY, ProxyGate, type PublicProxy, type ProxyServerOptions } from "../src/index.js";

const logger = pino({ level: "silent" });
let servers: Server[] = [];
let proxies: PublicProxy[] = [];
let sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets = [];
  await Promise.all(proxies.map((proxy) => proxy.close()));
  proxies = [];
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  servers = [];
});

// A node:http upstream standing in for nodeos' API: answers with what it received; every request it sees is kept.
async function startNode(): Promise<{ url: string; seen: IncomingMessage[] }> {
  const seen: IncomingMessage[] = [];
  const server = createServer(async (req, res) => {
    seen.push(req);
    let size = 0;
    try {
      for await (const chunk of req) size += (chunk as Buffer).length;
    } catch {
      // The proxy ended the request (its client went away): nothing to answer.
      return;
    }
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ url: req.url, size, expect: req.headers.expect ?? null }));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

async function startProxy(
  upstream: string,
  opts: Partial<ProxyServerOptions> = {},
  gate = new ProxyGate([]),
): Promise<{ url: string; port: number; proxy: PublicProxy }> {
  const proxy = await createProxyServer({ upstream, deny: DEFAULT_PROXY_DENY, retryAfterSeconds: 3, ...opts }, { gate, logger });
  proxies.push(proxy);
  const url = await proxy.listen({ host: "127.0.0.1", port: 0 });
  return { url, port: Number(new URL(url).port), proxy };
}

// Sends raw bytes on a new connection; resolves with all that came back once the proxy closes it.
function raw(port: number, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    sockets.push(socket);
    let text = "";
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString("latin1");
    });
    socket.on("error", () => undefined);
    socket.on("close", () => resolve(text));
    socket.write(bytes);
  });
}

// The status and JSON body of a raw answer.
function answer(text: string): { status: number; body: Record<string, unknown> } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
  const json = text.slice(text.indexOf("\r\n\r\n") + 4);
  return { status, body: JSON.parse(json) as Record<string, unknown> };
}

// A POST that sends `Expect: 100-continue` and its body only once told to, as curl does for bodies over 1 MiB.
function postWithExpect(url: string, body: Buffer): Promise<{ status: number; continued: boolean; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: "POST",
      headers: { expect: "100-continue", "content-length": body.length, "content-type": "application/json" },
    });
    let continued = false;
    req.on("continue", () => {
      continued = true;
      req.end(body);
    });
    req.on("response", (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => {
        text += chunk.toString();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, continued, body: text }));
    });
    req.on("error", reject);
    req.flushHeaders();
  });
}

const LANES = [
  { lane: "fast lane on", fastLane: true },
  { lane: "fast lane off", fastLane: false },
];
const BIG = Buffer.alloc(1536 * 1024, 0x61);

describe.each(LANES)("public proxy answers, $lane", ({ fastLane }) => {
  it("lets a client that sends Expect: 100-continue and waits post a body over 1 MiB; the node gets no Expect", async () => {
    const node = await startNode();
    const { url, port } = await startProxy(node.url, { fastLane });
    for (const path of ["/v1/chain/push_transaction", "/v1/chain/push_%74ransaction"]) {
      const res = await postWithExpect(`${url}${path}`, BIG);
      expect(res, path).toMatchObject({ status: 200, continued: true });
      expect(JSON.parse(res.body), path).toMatchObject({ size: BIG.length, expect: null });
    }
    const old = await raw(
      port,
      "POST /v1/chain/push_transaction HTTP/1.0\r\nHost: a\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nab",
    );
    expect(old).toMatch(/^HTTP\/1\.1 200 /);
    expect(old, "no 1xx to an HTTP/1.0 client").not.toContain("100 Continue");
  });

  it("refuses an announced body over proxy.maxBodySize with 413, before a 100 Continue, without reaching the node", async () => {
    const node = await startNode();
    const { url, port } = await startProxy(node.url, { fastLane, maxBodySize: 1024 * 1024 });
    const refused = await postWithExpect(`${url}/v1/chain/push_transaction`, BIG);
    expect(refused).toMatchObject({ status: 413, continued: false });
    expect(JSON.parse(refused.body)).toMatchObject({ code: "PRX_ERR_BODY_TOO_LARGE", message: expect.stringContaining("1048576") });
    const head = answer(await raw(port, "POST /v1/chain/push_transaction HTTP/1.1\r\nHost: a\r\nContent-Length: 1048577\r\n\r\n"));
    expect(head).toMatchObject({ status: 413, body: { code: "PRX_ERR_BODY_TOO_LARGE" } });
    expect(node.seen).toHaveLength(0);
    const fits = await postWithExpect(`${url}/v1/chain/push_transaction`, BIG.subarray(0, 1024 * 1024));
    expect(fits).toMatchObject({ status: 200, continued: true });
  });

  it("answers 413 to a client that sends its oversized body without waiting, instead of resetting the connection", async () => {
    const node = await startNode();
    const { url } = await startProxy(node.url, { fastLane, maxBodySize: 1024 * 1024 });
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${url}/v1/chain/push_transaction`, { method: "POST", body: Buffer.alloc(3 * 1024 * 1024) });
      expect(res.status).toBe(413);
      expect(((await res.json()) as { code: string }).code).toBe("PRX_ERR_BODY_TOO_LARGE");
    }
    expect(node.seen).toHaveLength(0);
  });

  it("cuts a chunked body at proxy.maxBodySize with 413", async () => {
    const node = await startNode();
    const { port } = await startProxy(node.url, { fastLane, maxBodySize: 1024 });
    const chunk = "x".repeat(3000);
    const text = await raw(
      port,
      `POST /v1/chain/push_transaction HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${(3000).toString(16)}\r\n${chunk}\r\n0\r\n\r\n`,
    );
    expect(answer(text)).toMatchObject({ status: 413, body: { code: "PRX_ERR_BODY_TOO_LARGE" } });
    const small = await raw(
      port,
      "POST /v1/chain/push_transaction HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    );
    expect(answer(small)).toMatchObject({ status: 200, body: { size: 3 } });
  });

  it("ends the node's request when the client goes away in the middle of a chunked body", async () => {
    const node = await startNode();
    const { port } = await startProxy(node.url, { fastLane });
    const client = connect({ host: "127.0.0.1", port });
    sockets.push(client);
    client.write("POST /v1/chain/push_transaction HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
    while (node.seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const upstream = node.seen[0] as IncomingMessage;
    const ended = new Promise<number>((resolve) => {
      const since = Date.now();
      upstream.once("close", () => resolve(Date.now() - since));
    });
    client.destroy();
    expect(await ended).toBeLessThan(5_000);
  });

  it("refuses a Content-Length of anything but digits between spaces and tabs with 400, and never forwards it", async () => {
    const node = await startNode();
    const { port } = await startProxy(node.url, { fastLane });
    for (const value of ["\xa02", "2\xa0", "+2", "2,2", "0x2", "2 2", "\x0b2"]) {
      const text = await raw(
        port,
        Buffer.from(`POST /v1/chain/get_info HTTP/1.1\r\nHost: a\r\nContent-Length: ${value}\r\n\r\nab`, "latin1"),
      );
      expect(answer(text), JSON.stringify(value)).toMatchObject({
        status: 400,
        body: { code: "PRX_ERR_BAD_REQUEST", message: expect.any(String) },
      });
    }
    expect(node.seen).toHaveLength(0);
    const spaced = await raw(port, "POST /v1/chain/get_info HTTP/1.1\r\nHost: a\r\nContent-Length: \t2 \r\nConnection: close\r\n\r\nab");
    expect(answer(spaced)).toMatchObject({ status: 200, body: { size: 2 } });
  });

  it("answers parser errors, 431, a missing Host, another Expect and another method as {code, message}", async () => {
    const node = await startNode();
    const { port } = await startProxy(node.url, { fastLane });
    const cases: Array<[string, number, string]> = [
      ["GET /v1/chain/get_info HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n", 400, "PRX_ERR_BAD_REQUEST"],
      [`GET /v1/chain/get_info HTTP/1.1\r\nHost: a\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`, 431, "PRX_ERR_HEADERS_TOO_LARGE"],
      ["GET /v1/chain/get_info HTTP/1.1\r\n\r\n", 400, "PRX_ERR_BAD_REQUEST"],
      ["POST /v1/chain/get_info HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nExpect: 200-ok\r\n\r\n", 417, "PRX_ERR_EXPECTATION"],
      ["TRACE /v1/chain/get_info HTTP/1.1\r\nHost: a\r\n\r\n", 405, "PRX_ERR_METHOD"],
    ];
    for (const [bytes, status, code] of cases) {
      const { status: got, body } = answer(await raw(port, bytes));
      expect({ status: got, code: body.code }, bytes.slice(0, 60)).toEqual({ status, code });
      expect(body.message, code).toEqual(expect.any(String));
      expect(body.error, code).toMatchObject({ code: status, name: code, what: body.message });
    }
    expect(node.seen).toHaveLength(0);
  });

  it("answers 503 while closed in manageos' shape and nodeos' both: a chain client shows why", async () => {
    const node = await startNode();
    const gate = new ProxyGate(["backup"]);
    const { url } = await startProxy(node.url, { fastLane }, gate);
    const res = await fetch(`${url}/v1/chain/get_info`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ code: "PRX_ERR_CLOSED", message: "the node's API is closed: backup", details: { reasons: ["backup"] } });
    expect(body.error).toEqual({
      code: 503,
      name: "PRX_ERR_CLOSED",
      what: "the node's API is closed: backup",
      details: [{ message: "the node's API is closed: backup", file: "", line_number: 0, method: "" }],
    });
    const chain = new APIClient({ url });
    const failure = await chain.v1.chain.get_info().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(APIError);
    expect((failure as APIError).message).toContain("the node's API is closed: backup");
    expect((failure as APIError).name).toBe("PRX_ERR_CLOSED");
  });

  it("refuses admin paths in any case and spelling with 403, without reaching the node", async () => {
    const node = await startNode();
    const { url, proxy } = await startProxy(node.url, { fastLane });
    const denied = [
      "/V1/Producer/pause",
      "/v1/PRODUCER/resume",
      "/V1/PRODUCER",
      "/v1/Producer/",
      "/V1/NET/connect",
      "/v1/Db_Size/get",
      "/V1/DEBUG/set_logger_level",
      "/V1/%50roducer/pause",
      "/v1%2FProducer%2Fpause",
      "/V1//Producer/Pause",
      "/v1/Chain/../PRODUCER/pause",
    ];
    for (const path of denied) {
      const res = await fetch(`${url}${path}`, { method: "POST", body: "{}" });
      expect(res.status, path).toBe(403);
      expect(((await res.json()) as { code: string }).code, path).toBe("PRX_ERR_DENIED");
    }
    expect(node.seen.map((req) => req.url)).toEqual([]);
    expect((await fetch(`${url}/v1/chain/get_info`)).status).toBe(200);
    expect(proxy.counts.forwarded).toBe(fastLane ? 1 : 0);
  });
});

describe("public proxy switch", () => {
  it("with fastLane false, serves every connection with the full proxy: the fast lane forwards and hands over nothing", async () => {
    const node = await startNode();
    const { url, proxy } = await startProxy(node.url, { fastLane: false });
    for (let i = 0; i < 3; i++) expect((await fetch(`${url}/v1/chain/get_info`)).status).toBe(200);
    expect(await (await fetch(`${url}/v1/chain/get_%69nfo`)).json()).toMatchObject({ url: "/v1/chain/get_%69nfo" });
    expect(proxy.counts).toEqual({ forwarded: 0, handedOver: 0 });
    expect(node.seen).toHaveLength(4);
  });
});

const CURL = ["/usr/bin/curl", "/bin/curl"].find((path) => existsSync(path));

describe.skipIf(CURL === undefined).each(LANES)("curl through the public proxy, $lane", ({ fastLane }) => {
  it("posts a body over 1 MiB (curl sends Expect: 100-continue for it)", async () => {
    const node = await startNode();
    const { url } = await startProxy(node.url, { fastLane });
    const dir = await mkdtemp(join(tmpdir(), "manageos-proxy-curl-"));
    try {
      await writeFile(join(dir, "body.json"), BIG);
      const out = await new Promise<string>((resolve, reject) =>
        execFile(
          CURL as string,
          [
            "-sS",
            "-v",
            "-X",
            "POST",
            "--data-binary",
            `@${join(dir, "body.json")}`,
            "-H",
            "content-type: application/json",
            `${url}/v1/chain/push_transaction`,
          ],
          (error, stdout, stderr) => (error ? reject(error) : resolve(`${stdout}\n${stderr}`)),
        ),
      );
      expect(out).toMatch(/> Expect: 100-continue/i);
      expect(out).toMatch(/< HTTP\/1\.1 100 Continue/);
      expect(out).toContain(`"size":${BIG.length}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
