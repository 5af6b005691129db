import { createServer, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { ProducerApi } from "./producer-api.js";

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

// A local HTTP server answering every request with the handler.
async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

describe("producer API client", () => {
  it("gives a coded timeout when nodeos does not answer in time", async () => {
    const url = await serve(() => undefined);
    const api = new ProducerApi({ baseUrl: url, timeoutMs: 200 });
    await expect(api.pause()).rejects.toMatchObject({ code: "SUP_ERR_NODE_API_TIMEOUT" });
  });

  it("gives a coded error with the HTTP status when nodeos refuses", async () => {
    const url = await serve((_, res) => {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ code: 500, message: "Internal Service Error" }));
    });
    const api = new ProducerApi({ baseUrl: url });
    await expect(api.resume()).rejects.toMatchObject({ code: "SUP_ERR_NODE_API", details: { status: 500 } });
  });

  it("refuses an answer to paused that is not a boolean", async () => {
    const url = await serve((_, res) => res.end(JSON.stringify({ paused: true })));
    await expect(new ProducerApi({ baseUrl: url }).paused()).rejects.toMatchObject({ code: "SUP_ERR_NODE_API" });
  });
});
