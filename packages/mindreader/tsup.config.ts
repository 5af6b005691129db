import { defineConfig } from "tsup";
import { sharedTsup } from "../../tsup.shared.js";

// prom-client and fastify come with @manageos/core: keep them external so one copy is loaded.
export default defineConfig(sharedTsup({ external: ["prom-client", "fastify"] }));
