// The least a Node reverse proxy can do per request, for comparison only: node:http in front of an undici pool,
// streaming both ways, with no gate, no deny list, no error mapping and no framework. Prints its port.
import { createServer } from "node:http";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const { Pool } = await import(join(root, "node_modules/undici/index.js"));
const HOP = ["connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection", "te", "trailer"];
const pool = new Pool(process.argv[2], { connections: 256, pipelining: 1 });

const server = createServer((req, res) => {
  const headers = { ...req.headers };
  for (const name of [...HOP, "host"]) delete headers[name];
  const body = req.method === "GET" || req.method === "HEAD" ? null : req;
  pool.stream(
    { path: req.url, method: req.method, headers, body },
    ({ statusCode, headers: upstream }) => {
      for (const name of HOP) delete upstream[name];
      res.writeHead(statusCode, upstream);
      return res;
    },
    (error) => {
      if (error && !res.headersSent) res.writeHead(502).end();
      else if (error) res.destroy();
    },
  );
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => console.log(`listening on ${server.address().port}`));
process.on("SIGTERM", () => server.close(() => pool.close().then(() => process.exit(0))));
