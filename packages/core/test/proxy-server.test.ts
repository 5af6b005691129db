import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { createProxyServer, DEFAULT_PROXY_DENY, ProxyGate, type PublicProxy } from "../src/index.js";

const logger = pino({ level: "silent" });
let upstream: Server | undefined;
let proxy: PublicProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  if (upstream?.listening) await new Promise((resolve) => upstream?.close(resolve));
  upstream = undefined;
  proxy = undefined;
});

// A real upstream on port 0 standing in for nodeos' HTTP API.
async function startUpstream(handler: Parameters<typeof createServer>[1]): Promise<string> {
  upstream = createServer(handler);
  await new Promise<void>((resolve) => upstream?.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
}

async function startProxy(target: string, gate: ProxyGate, timeout?: number, maxBodySize?: number): Promise<string> {
  const started = await createProxyServer(
    { upstream: target, deny: DEFAULT_PROXY_DENY, retryAfterSeconds: 7, timeout, maxBodySize },
    { gate, logger },
  );
  proxy = started;
  return started.listen({ host: "127.0.0.1", port: 0 });
}

describe("public proxy on a real listener", () => {
  it("follows the gate: 503 with Retry-After while closed, forwarded while open, closed again on demand", async () => {
    const target = await startUpstream((req, res) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ path: req.url, method: req.method }));
    });
    const gate = new ProxyGate(["not-synced"]);
    const url = await startProxy(target, gate);
    const closed = await fetch(`${url}/v1/chain/get_info`);
    expect(closed.status).toBe(503);
    expect(closed.headers.get("retry-after")).toBe("7");
    expect(await closed.json()).toMatchObject({ code: "PRX_ERR_CLOSED", details: { reasons: ["not-synced"] } });
    gate.release("not-synced");
    const open = await fetch(`${url}/v1/chain/get_info`, { method: "POST", body: "{}" });
    expect(open.status).toBe(200);
    expect(await open.json()).toEqual({ path: "/v1/chain/get_info", method: "POST" });
    gate.close("backup");
    expect((await fetch(`${url}/v1/chain/get_info`)).status).toBe(503);
  });

  it("refuses admin paths even while open, without reaching the node", async () => {
    let reached = 0;
    const target = await startUpstream((_req, res) => {
      reached++;
      res.end("{}");
    });
    const url = await startProxy(target, new ProxyGate([]));
    for (const path of [
      "/v1/producer/pause",
      "/v1//producer/resume",
      "/v1/net/connect",
      "/v1/db_size/get",
      "/v1/chain/../producer/pause",
    ]) {
      const res = await fetch(`${url}${path}`, { method: "POST" });
      expect(res.status, path).toBe(403);
    }
    expect(reached).toBe(0);
  });

  it("answers 502 JSON when the node is gone, and 502 when it drops the connection mid-answer", async () => {
    const target = await startUpstream((req, res) => {
      if (req.url === "/drop") {
        req.socket.destroy();
        return;
      }
      res.end("{}");
    });
    const url = await startProxy(target, new ProxyGate([]));
    const dropped = await fetch(`${url}/drop`);
    expect(dropped.status).toBe(502);
    expect(((await dropped.json()) as { code: string }).code).toBe("PRX_ERR_UPSTREAM");
    await new Promise((resolve) => upstream?.close(resolve));
    const dead = await fetch(`${url}/v1/chain/get_info`);
    expect(dead.status).toBe(502);
    expect(await dead.json()).toMatchObject({ code: "PRX_ERR_UPSTREAM", message: expect.stringMatching(/ECONNREFUSED/) });
  });

  it("answers 504 when the node does not answer in time", async () => {
    const target = await startUpstream(() => {
      // never answers
    });
    const url = await startProxy(target, new ProxyGate([]), 300);
    const res = await fetch(`${url}/v1/chain/get_block`);
    expect(res.status).toBe(504);
    expect(((await res.json()) as { code: string }).code).toBe("PRX_ERR_UPSTREAM_TIMEOUT");
    upstream?.closeAllConnections();
  });

  it("streams bodies both ways: the first chunk arrives before the node has finished", async () => {
    let finish: () => void = () => {};
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const target = await startUpstream(async (req, res) => {
      let size = 0;
      for await (const chunk of req) size += (chunk as Buffer).length;
      res.writeHead(200, { "content-type": "text/plain" });
      res.write(`got ${size}\n`);
      await finished;
      res.end("done\n");
    });
    const url = await startProxy(target, new ProxyGate([]), undefined, 8 * 1024 * 1024);
    const body = Buffer.alloc(3 * 1024 * 1024, 120);
    const res = await fetch(`${url}/v1/chain/push_transaction`, {
      method: "POST",
      body,
      headers: { "content-type": "application/octet-stream" },
    });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toBe(`got ${body.length}\n`);
    finish();
    let rest = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    expect(rest).toBe("done\n");
  });

  it("follows the node to a new address when its port changes between starts", async () => {
    const first = await startUpstream((_req, res) => res.end("first"));
    const firstServer = upstream as Server;
    const second = await startUpstream((_req, res) => res.end("second"));
    let current: string | undefined = first;
    const started = await createProxyServer(
      { upstream: "http://127.0.0.1:1", currentUpstream: () => current, deny: DEFAULT_PROXY_DENY, retryAfterSeconds: 1 },
      { gate: new ProxyGate([]), logger },
    );
    proxy = started;
    const url = await started.listen({ host: "127.0.0.1", port: 0 });
    expect(await (await fetch(`${url}/v1/chain/get_info`)).text()).toBe("first");
    current = second;
    expect(await (await fetch(`${url}/v1/chain/get_info`)).text()).toBe("second");
    current = undefined;
    expect((await fetch(`${url}/v1/chain/get_info`)).status).toBe(502);
    await new Promise((resolve) => firstServer.close(resolve));
  });

  it("reuses upstream connections (keep-alive)", async () => {
    const sockets = new Set<unknown>();
    const target = await startUpstream((req, res) => {
      sockets.add(req.socket);
      res.end("{}");
    });
    const url = await startProxy(target, new ProxyGate([]));
    for (let i = 0; i < 20; i++) expect((await fetch(`${url}/v1/chain/get_info`)).status).toBe(200);
    expect(sockets.size).toBeLessThan(5);
  });
});
