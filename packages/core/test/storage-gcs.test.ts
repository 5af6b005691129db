import { createServer, type IncomingMessage, request, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore, type Store } from "../src/index.js";
import { type GcsEmulator, startGcsEmulator } from "./support/gcs-emulator.js";

describe("gs:// store against the GCS emulator", () => {
  let emulator: GcsEmulator;
  let store: Store;

  beforeAll(async () => {
    emulator = await startGcsEmulator();
    store = openStore("gs://manageos-test/some/prefix", { apiEndpoint: emulator.endpoint, retries: 1, retry: { baseDelayMs: 10 } });
  });
  afterAll(async () => {
    await emulator?.stop();
  });

  // Passes a request on to the emulator and its answer back: the part of a test front that does not misbehave.
  function forwardToEmulator(req: IncomingMessage, res: ServerResponse): void {
    const upstream = request(
      { host: emulator.host, port: emulator.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(upstream);
  }

  it("writes bytes, text, streams and factories and reads them back", async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 7, 0xab);
    await store.put("obj/bytes", big);
    await store.put("obj/text", "hello");
    await store.put("obj/stream", Readable.from(["str", "eam"]));
    await store.put("obj/factory", () => Readable.from([Buffer.from("fac"), Buffer.from("tory")]));
    expect((await store.getBytes("obj/bytes")).equals(big)).toBe(true);
    expect(await text(await store.get("obj/text"))).toBe("hello");
    expect((await store.getBytes("obj/stream")).toString()).toBe("stream");
    expect((await store.getBytes("obj/factory")).toString()).toBe("factory");
    expect(await store.stat("obj/bytes")).toMatchObject({ key: "obj/bytes", size: big.length });
    expect((await store.stat("obj/bytes"))?.updatedAt).toBeInstanceOf(Date);
  });

  it("downloads without Node warnings, which would reach the daemon's stderr once per chunk", async () => {
    // @google-cloud/storage 8.0.1 to 8.4.0 (teeny-request 11) warn MaxListenersExceededWarning on every streamed download.
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
    process.on("warning", onWarning);
    try {
      const chunk = Buffer.alloc(256 * 1024, 0xcd);
      await store.put("warn/chunk", chunk);
      expect((await store.getBytes("warn/chunk")).equals(chunk)).toBe(true);
      expect((await text(await store.get("warn/chunk"))).length).toBe(chunk.length);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings).toEqual([]);
  });

  it("lists under the store prefix only, in key order, across pages", async () => {
    const other = openStore("gs://manageos-test/elsewhere", { apiEndpoint: emulator.endpoint });
    await other.put("list/zz", "not mine");
    const keys = Array.from({ length: 1005 }, (_, i) => `list/${String(i).padStart(4, "0")}`);
    const reversed = [...keys].reverse();
    for (let i = 0; i < reversed.length; i += 50) {
      await Promise.all(reversed.slice(i, i + 50).map((key) => store.put(key, "x")));
    }
    const seen: string[] = [];
    for await (const object of store.list("list/")) seen.push(object.key);
    expect(seen).toEqual(keys);
  });

  it("reports absent objects with STO_ERR_NOT_FOUND and deletes idempotently", async () => {
    await expect(store.get("missing")).rejects.toMatchObject({ code: "STO_ERR_NOT_FOUND" });
    await expect(store.getBytes("missing")).rejects.toMatchObject({ code: "STO_ERR_NOT_FOUND" });
    expect(await store.stat("missing")).toBeUndefined();
    await store.put("gone", "x");
    await store.delete("gone");
    await store.delete("gone");
    expect(await store.stat("gone")).toBeUndefined();
  });

  it("uploads with ifAbsent as ifGenerationMatch=0 and reports GCS's 412 as STO_ERR_EXISTS", async () => {
    // The emulator ignores preconditions: this front answers 412 as GCS does when the object exists.
    const uploads: string[] = [];
    const front = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://front");
      if (url.pathname.startsWith("/upload/"))
        uploads.push(`${url.searchParams.get("name")} ifGenerationMatch=${url.searchParams.get("ifGenerationMatch")}`);
      if (url.pathname.startsWith("/upload/") && url.searchParams.get("ifGenerationMatch") === "0" && uploads.length > 1) {
        req.resume();
        res.writeHead(412, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            error: {
              code: 412,
              message: "At least one of the pre-conditions you specified did not hold.",
              errors: [{ reason: "conditionNotMet" }],
            },
          }),
        );
        return;
      }
      forwardToEmulator(req, res);
    });
    await new Promise<void>((resolve) => front.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = front.address() as AddressInfo;
      const guarded = openStore("gs://manageos-test/guarded", {
        apiEndpoint: `http://127.0.0.1:${port}`,
        retries: 2,
        retry: { baseDelayMs: 1 },
      });
      await guarded.put("manifest.json", "first", { ifAbsent: true });
      await expect(guarded.put("manifest.json", "second", { ifAbsent: true })).rejects.toMatchObject({ code: "STO_ERR_EXISTS" });
      // Not retried: a precondition failure is an answer.
      expect(uploads).toEqual(["guarded/manifest.json ifGenerationMatch=0", "guarded/manifest.json ifGenerationMatch=0"]);
      expect((await guarded.getBytes("manifest.json")).toString()).toBe("first");
    } finally {
      front.closeAllConnections();
      await new Promise<void>((resolve) => front.close(() => resolve()));
    }
  });

  it("reports an unreachable server with STO_ERR_UNREACHABLE after bounded retries", async () => {
    const dead = openStore("gs://manageos-test/x", {
      apiEndpoint: "http://127.0.0.1:1",
      retries: 2,
      retry: { baseDelayMs: 1, maxDelayMs: 2 },
    });
    await expect(dead.put("k", "v")).rejects.toMatchObject({ code: "STO_ERR_UNREACHABLE", message: expect.stringContaining("3 attempt") });
    await expect(dead.stat("k")).rejects.toMatchObject({ code: "STO_ERR_UNREACHABLE" });
  });

  it("retries 503s and resets from a flaky front and then succeeds", async () => {
    let failuresLeft = 3;
    const front = createServer((req, res) => {
      if (failuresLeft-- > 0) {
        if (failuresLeft % 2 === 0) {
          res.writeHead(503).end("try later");
        } else {
          req.socket.destroy();
        }
        return;
      }
      forwardToEmulator(req, res);
    });
    await new Promise<void>((resolve) => front.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = front.address() as AddressInfo;
      const flaky = openStore("gs://manageos-test/flaky", {
        apiEndpoint: `http://127.0.0.1:${port}`,
        retries: 4,
        retry: { baseDelayMs: 1, maxDelayMs: 5 },
      });
      await flaky.put("k", () => Readable.from(["retried"]));
      expect(failuresLeft).toBeLessThan(0);
      expect((await openStore("gs://manageos-test/flaky", { apiEndpoint: emulator.endpoint }).getBytes("k")).toString()).toBe("retried");
    } finally {
      front.closeAllConnections();
      await new Promise<void>((resolve) => front.close(() => resolve()));
    }
  });
});
