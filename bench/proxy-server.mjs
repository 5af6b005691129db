// manageos' public proxy (createProxyServer, open gate, default deny list) in a process of its own, as it runs in
// manageos and as nginx and the reference proxy run in theirs. Takes the node's URL; prints its port.
import { join } from "node:path";
import { pino } from "pino";

const root = new URL("..", import.meta.url).pathname;
const { createProxyServer, ProxyGate, DEFAULT_PROXY_DENY } = await import(join(root, "packages/core/dist/index.js"));
const proxy = await createProxyServer(
  { upstream: process.argv[2], deny: DEFAULT_PROXY_DENY, retryAfterSeconds: 5 },
  { gate: new ProxyGate([]), logger: pino({ level: "warn" }) },
);
const url = await proxy.listen({ host: "127.0.0.1", port: 0 });
console.log(`listening on ${new URL(url).port}`);
process.on("SIGTERM", () => proxy.close().then(() => process.exit(0)));
