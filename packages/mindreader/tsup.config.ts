import { defineConfig } from "tsup";
import { sharedTsup } from "../../tsup.shared.js";

// prom-client and fastify come with @manageos/core: keep them external so one copy is loaded. Three entries: the
// package, the Firehose decoding thread (a file of its own, loaded by `new Worker`), and `@manageos/mindreader/cli`,
// the `blocks` commands the apps bundle into their CLI (it loads the package only when a command runs).
export default defineConfig(
  sharedTsup({
    entry: { index: "src/index.ts", "firehose-decode-worker": "src/firehose/decode-worker.ts", cli: "src/cli/index.ts" },
    external: ["prom-client", "fastify"],
  }),
);
