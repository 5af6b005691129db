import { type AddressInfo, createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ChunkedEnd, readPlainRequest, readResponseHead } from "../src/proxy/http1.js";
import { UpstreamPool, type UpstreamUser } from "../src/proxy/upstream-pool.js";

const head = (lines: string[]) => `${lines.join("\r\n")}\r\n\r\n`;

describe("request heads the fast lane forwards", () => {
  it("forwards GET and POST of plain paths, with Host replaced and the rest as sent", () => {
    const request = readPlainRequest(
      head(["POST /v1/chain/get_block?a=1 HTTP/1.1", "Host: api.example", "Content-Length: 12", "X-Trace: a b"]),
    );
    expect(request).toMatchObject({ method: "POST", path: "/v1/chain/get_block", contentLength: 12, close: false });
    expect(request?.forward("127.0.0.1:8888")).toBe(
      head(["POST /v1/chain/get_block?a=1 HTTP/1.1", "host: 127.0.0.1:8888", "Content-Length: 12", "X-Trace: a b"]),
    );
    expect(readPlainRequest(head(["GET / HTTP/1.1", "Connection: close", "host: x"]))).toMatchObject({
      path: "/",
      contentLength: 0,
      close: true,
    });
  });

  it("keeps the client's Connection and Keep-Alive to the client's connection: the node gets neither", () => {
    const request = readPlainRequest(
      head(["GET /v1/chain/get_info HTTP/1.1", "Connection: close", "Host: api.example", "Keep-Alive: timeout=5", "X-A: 1"]),
    );
    expect(request).toMatchObject({ close: true });
    expect(request?.forward("n:1")).toBe(head(["GET /v1/chain/get_info HTTP/1.1", "host: n:1", "X-A: 1"]));
    const kept = readPlainRequest(head(["GET /v1/chain/get_info HTTP/1.1", "Host: api.example", "X-A: 1", "Connection: keep-alive"]));
    expect(kept).toMatchObject({ close: false });
    expect(kept?.forward("n:1")).toBe(head(["GET /v1/chain/get_info HTTP/1.1", "host: n:1", "X-A: 1"]));
  });

  it("reads Content-Length between spaces and tabs only, as RFC 9110 and the node's parser do", () => {
    expect(readPlainRequest(head(["POST /v1/chain/x HTTP/1.1", "Host: x", "Content-Length: \t 7 \t"]))?.contentLength).toBe(7);
    expect(readPlainRequest(head(["POST /v1/chain/x HTTP/1.1", "Host: x", "Content-Length:007"]))?.contentLength).toBe(7);
  });

  it("answers Expect: 100-continue itself: the node gets the request without it", () => {
    const before = readPlainRequest(head(["POST /v1/chain/x HTTP/1.1", "Expect: 100-Continue", "Host: a", "Content-Length: 2", "X: 1"]));
    expect(before).toMatchObject({ expectContinue: true, contentLength: 2 });
    expect(before?.forward("n:1")).toBe(head(["POST /v1/chain/x HTTP/1.1", "host: n:1", "Content-Length: 2", "X: 1"]));
    const after = readPlainRequest(head(["POST /v1/chain/x HTTP/1.1", "Host: a", "Content-Length: 2", "Expect: 100-continue", "X: 1"]));
    expect(after?.forward("n:1")).toBe(head(["POST /v1/chain/x HTTP/1.1", "host: n:1", "Content-Length: 2", "X: 1"]));
    expect(readPlainRequest(head(["GET /v1/chain/x HTTP/1.1", "Host: a"]))?.expectContinue).toBe(false);
  });

  it("leaves everything else to the full proxy", () => {
    const refused = [
      ["HEAD /v1/chain/get_info HTTP/1.1", "Host: x"],
      ["GET /v1/chain/get_info HTTP/1.0", "Host: x"],
      ["GET /v1/%70roducer/pause HTTP/1.1", "Host: x"],
      ["GET /v1/chain/../producer/pause HTTP/1.1", "Host: x"],
      ["GET http://x/v1/chain/get_info HTTP/1.1", "Host: x"],
      ["GET  /v1/chain/get_info HTTP/1.1", "Host: x"],
      ["GET /v1/chain/get_info HTTP/1.1"],
      ["GET /v1/chain/get_info HTTP/1.1", "Host: x", "Host: y"],
      ["POST /v1/chain/get_info HTTP/1.1", "Host: x", "Content-Length: 1", "Content-Length: 1"],
      ["POST /v1/chain/get_info HTTP/1.1", "Host: x", "Content-Length: +1"],
      ["POST /v1/chain/get_info HTTP/1.1", "Host: x", "Transfer-Encoding: chunked"],
      ["POST /v1/chain/get_info HTTP/1.1", "Host: x", "Content-Length : 1"],
      ["POST /v1/chain/get_info HTTP/1.1", "Host: x", "Content-Length: 1", "Expect: 200-ok"],
      ["POST /v1/chain/get_info HTTP/1.1", "Host: x", "Content-Length: 1", "Expect: 100-continue", "Expect: 100-continue"],
      ["POST /v1/chain/get_info HTTP/1.1", "Host: x", "Content-Length: \xa01"],
      ["POST /v1/chain/get_info HTTP/1.1", "Host: x", "Content-Length: 1\xa0"],
      ["POST /v1/chain/get_info HTTP/1.1", "Host: x", "Content-Length: 1\x0b"],
      ["POST /v1/chain/get_info HTTP/1.1", "Host: x", "Content-Length: 1 1"],
      ["POST /v1/chain/get_info HTTP/1.1", "Host: x", "Content-Length: 1,1"],
      ["GET /v1/chain/get_info HTTP/1.1", "Host: x", "Connection: \xa0close"],
      ["GET /v1/chain/get_info HTTP/1.1", "Host: x", "Upgrade: websocket", "Connection: upgrade"],
      ["GET /v1/chain/get_info HTTP/1.1", "Host: x", "X-A: 1", " folded"],
      ["GET /v1/chain/get_info HTTP/1.1", "Host: x", "X-A: a\rb"],
      ["GET /v1/chain/get_info HTTP/1.1", "Host: x", "X-A: a\0b"],
    ];
    for (const lines of refused) expect(readPlainRequest(head(lines)), JSON.stringify(lines)).toBeUndefined();
  });
});

describe("response heads from the node", () => {
  it("tells how each answer ends", () => {
    expect(readResponseHead(head(["HTTP/1.1 200 OK", "Content-Length: 5"]))).toEqual({
      status: 200,
      framing: { kind: "length", length: 5 },
      close: false,
      forward: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n",
    });
    expect(readResponseHead(head(["HTTP/1.1 200 OK", "Transfer-Encoding: chunked"])).framing).toEqual({ kind: "chunked" });
    expect(readResponseHead(head(["HTTP/1.1 200 OK", "Transfer-Encoding: gzip"]))).toMatchObject({
      framing: { kind: "close" },
      close: true,
    });
    expect(readResponseHead(head(["HTTP/1.1 200 OK"]))).toMatchObject({ framing: { kind: "close" }, close: true });
    expect(readResponseHead(head(["HTTP/1.1 204 No Content", "Content-Length: 5"])).framing).toEqual({ kind: "none" });
    expect(readResponseHead(head(["HTTP/1.1 200 OK", "Content-Length: 5", "Connection: close"])).close).toBe(true);
    expect(readResponseHead(head(["HTTP/1.0 200 OK", "Content-Length: 5"])).close).toBe(true);
    expect(readResponseHead(head(["HTTP/1.0 200 OK", "Content-Length: 5", "Connection: keep-alive"])).close).toBe(false);
  });

  it("leaves the node's hop-by-hop fields out of what the client gets: Connection, the fields it names, Keep-Alive, Upgrade", () => {
    const answer = readResponseHead(
      head([
        "HTTP/1.1 200 OK",
        "Connection: keep-alive, X-Hop",
        "Keep-Alive: timeout=5",
        "x-hop: 1",
        "Content-Length: 2",
        "Upgrade: h2c",
        "Transfer-Encoding: chunked",
        "X-End: 1",
      ]),
    );
    expect(answer.forward).toBe("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\nX-End: 1\r\n");
    expect(answer.close).toBe(false);
    expect(readResponseHead(head(["HTTP/1.1 200 OK", "Content-Length: 2", "Connection: close"]))).toMatchObject({
      close: true,
      forward: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n",
    });
    expect(readResponseHead(head(["HTTP/1.1 100 Continue"])).forward).toBe("HTTP/1.1 100 Continue\r\n");
  });

  it("refuses what it cannot frame", () => {
    expect(() => readResponseHead(head(["HTTP/2 200", "Content-Length: 5"]))).toThrow(/status line/);
    expect(() => readResponseHead(head(["HTTP/1.1 200 OK", "Content-Length: 5", "Content-Length: 6"]))).toThrow(/Content-Length/);
    expect(() => readResponseHead(head(["HTTP/1.1 200 OK", "Content-Length: five"]))).toThrow(/Content-Length/);
    expect(() => readResponseHead(head(["HTTP/1.1 200 OK", "Content-Length: \xa05"]))).toThrow(/Content-Length/);
  });
});

describe("the end of a chunked body", () => {
  const body = Buffer.from("4\r\nwiki\r\n5;ext=1\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nExpires: never\r\n\r\n");

  it("is found wherever the bytes are split", () => {
    for (let cut = 0; cut <= body.length; cut++) {
      const reader = new ChunkedEnd();
      const first = reader.feed(body.subarray(0, cut));
      if (first !== -1) {
        expect(first, `cut at ${cut}`).toBe(body.length);
        continue;
      }
      expect(reader.feed(body.subarray(cut)), `cut at ${cut}`).toBe(body.length - cut);
    }
    const byByte = new ChunkedEnd();
    const ends = [...body].map((_, i) => byByte.feed(body.subarray(i, i + 1)));
    expect(ends.slice(0, -1).every((end) => end === -1)).toBe(true);
    expect(ends.at(-1)).toBe(1);
  });

  it("is found inside a longer buffer, from an offset", () => {
    const framed = Buffer.concat([Buffer.from("head"), Buffer.from("3\r\nabc\r\n0\r\n\r\n"), Buffer.from("next")]);
    expect(new ChunkedEnd().feed(framed, 4)).toBe(framed.length - 4);
  });

  it("refuses malformed framing", () => {
    for (const bad of ["x\r\n", "3\r\nabcd\r\n", "3\nabc", "1234567890abc\r\n"]) {
      expect(() => new ChunkedEnd().feed(Buffer.from(bad)), bad).toThrow();
    }
  });
});

describe("connections to the node", () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve));
  });

  it("lends an idle connection again, resumed, and closes those the sweep finds idle too long", async () => {
    server = createServer((socket) => {
      socket.on("data", () => socket.write("x"));
    });
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const pool = new UpstreamPool({ maxIdle: 4 });
    let answered: () => void = () => {};
    const user: UpstreamUser = { onUpstreamData: () => answered(), onUpstreamDrain: () => undefined, onUpstreamGone: () => undefined };
    const first = pool.acquire(origin, user);
    const answer = new Promise<void>((resolve) => {
      answered = resolve;
    });
    first.socket.write("ping");
    await answer;
    first.socket.pause();
    pool.release(first, true, 1);
    const again = pool.acquire(origin, user);
    expect(again).toBe(first);
    expect(again.reused).toBe(true);
    expect(again.socket.isPaused()).toBe(false);
    const fresh = pool.acquire(origin, user, true);
    expect(fresh).not.toBe(first);
    pool.release(again, true, 1);
    const closed = new Promise((resolve) => first.socket.once("close", resolve));
    pool.sweep(2);
    await closed;
    const next = pool.acquire(origin, user);
    expect(next).not.toBe(first);
    pool.release(fresh, true, 3);
    pool.release(next, true, 3);
    pool.close();
    await Promise.all(
      [fresh, next].map((c) => new Promise((resolve) => (c.socket.destroyed ? resolve(undefined) : c.socket.once("close", resolve)))),
    );
  });
});
