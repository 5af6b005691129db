import { request } from "node:http";
import type { AddressInfo } from "node:net";
import Fastify from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { linesOf } from "../../test/dmlog.js";
import { capturingLogger, stdout } from "../../test/helpers.js";
import { fixtureLines } from "../../test/dmlog.js";
import { MindreaderPlugin } from "../reader/plugin.js";
import { BlockStream } from "./block-stream.js";
import { registerBlockStreamRoute } from "./route.js";

const apps: Array<{ close: () => Promise<unknown> }> = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function serve(stream: BlockStream) {
  const app = Fastify();
  apps.push(app);
  registerBlockStreamRoute(app, stream, { heartbeatMs: 60_000 });
  await app.listen({ port: 0, host: "127.0.0.1" });
  return app;
}

// Opens the SSE stream and resolves with the first `count` block events' data.
function readEvents(port: number, path: string, count: number): Promise<Array<Record<string, unknown>>> {
  return new Promise((resolve, reject) => {
    const req = request({ port, host: "127.0.0.1", path }, (res) => {
      expect(res.headers["content-type"]).toContain("text/event-stream");
      let buffer = "";
      const events: Array<Record<string, unknown>> = [];
      res.on("data", (chunk: Buffer) => {
        buffer += chunk.toString("utf8");
        let end = buffer.indexOf("\n\n");
        while (end >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame.split("\n").find((l) => l.startsWith("data: "));
          if (frame.includes("event: block") && data) events.push(JSON.parse(data.slice(6)));
          end = buffer.indexOf("\n\n");
        }
        if (events.length >= count) {
          req.destroy();
          resolve(events.slice(0, count));
        }
      });
    });
    req.on("error", reject);
    req.end();
  });
}

describe("GET /v1/mindreader/blocks", () => {
  it("replays from `from` then streams live block headers", async () => {
    const stream = new BlockStream(100);
    const plugin = new MindreaderPlugin({}, { sink: { write: async () => true }, logger: capturingLogger().logger, stream });
    const lines = fixtureLines("spring-1.dmlog");
    const cut = lines.indexOf("DMLOG START_BLOCK 10");
    for (const text of lines.slice(0, cut)) plugin.handle(stdout(text));
    const app = await serve(stream);
    const { port } = app.server.address() as AddressInfo;

    const received = readEvents(port, "/v1/mindreader/blocks?from=7", 6);
    // Live blocks arrive once the replay (7, 8, 9) is out.
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (stream.subscribers > 0) {
          clearInterval(check);
          resolve();
        }
      }, 5);
    });
    for (const text of lines.slice(cut)) plugin.handle(stdout(text));
    const events = await received;

    const v2 = new Map(linesOf("spring-1.dmlog", "ACCEPTED_BLOCK_V2").map((f) => [Number(f[3]), f]));
    expect(events.map((e) => e["num"])).toEqual([7, 8, 9, 10, 11, 12]);
    for (const event of events) {
      const fields = v2.get(event["num"] as number)!;
      expect(event["id"]).toBe(fields[2]);
      expect(event["lib"]).toBe(Number(fields[4]));
      expect(event["previous"]).toBe(v2.get((event["num"] as number) - 1)![2]);
      expect(event["producer"]).toBe("eosio");
      expect(typeof event["time"]).toBe("string");
    }
  });

  it("answers 400 for a bad `from` and 410 for a block no longer in memory", async () => {
    const stream = new BlockStream(2);
    const plugin = new MindreaderPlugin({}, { sink: { write: async () => true }, logger: capturingLogger().logger, stream });
    for (const text of fixtureLines("leap-13.dmlog")) plugin.handle(stdout(text));
    const app = Fastify();
    apps.push(app);
    registerBlockStreamRoute(app, stream);
    const bad = await app.inject({ url: "/v1/mindreader/blocks?from=abc" });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: "MDR_ERR_BAD_REQUEST" });
    const old = await app.inject({ url: "/v1/mindreader/blocks?from=2" });
    expect(old.statusCode).toBe(410);
    expect(old.json()).toMatchObject({ code: "MDR_ERR_FROM_TOO_OLD", details: { oldest: 4 } });
  });
});
