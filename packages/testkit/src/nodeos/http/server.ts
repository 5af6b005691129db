import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { badRequest, notFound, type Reply } from "./nodeos-error.js";

/** A route: receives the parsed JSON body (undefined when empty). */
export type Route = (body: unknown) => Reply | Promise<Reply>;

const MAX_BODY = 1 << 20;

/** Serves nodeos-style API routes over node:http; POST and GET both work, as with nodeos. */
export function createApiServer(routes: ReadonlyMap<string, Route>): Server {
  return createServer((req, res) => {
    void handle(routes, req).then((reply) => {
      const text = reply.encoded ?? JSON.stringify(reply.body);
      res.writeHead(reply.status, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(text),
        server: "nodeos-sim",
      });
      res.end(text);
    });
  });
}

async function handle(routes: ReadonlyMap<string, Route>, req: IncomingMessage): Promise<Reply> {
  const path = new URL(req.url ?? "/", "http://x").pathname;
  const route = routes.get(path);
  let raw: string;
  try {
    raw = await readBody(req);
  } catch (error) {
    return badRequest((error as Error).message);
  }
  if (route === undefined) return notFound();
  let body: unknown;
  if (raw.trim() !== "") {
    try {
      body = JSON.parse(raw) as unknown;
    } catch {
      return badRequest("Unable to parse valid input from POST body");
    }
  }
  try {
    return await route(body);
  } catch (error) {
    return {
      status: 500,
      body: {
        code: 500,
        message: "Internal Service Error",
        error: { code: 0, name: "exception", what: (error as Error).message, details: [] },
      },
    };
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) reject(new Error("body too large"));
      else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** Listens on `host:port` and resolves the bound address. */
export function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Splits `host:port` (also `[::1]:port` and `:port`). */
export function parseHostPort(address: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(address.trim());
  if (m === null) throw new Error(`invalid address ${address}`);
  const host = m[1] ?? m[2] ?? "";
  return { host: host === "" ? "0.0.0.0" : host, port: Number(m[3]) };
}
