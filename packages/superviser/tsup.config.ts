import { defineConfig } from "tsup";
import { sharedTsup } from "../../tsup.shared.js";

// prom-client and pino come with @manageos/core; one copy each, never bundled twice.
export default defineConfig(sharedTsup({ external: ["prom-client", "pino"] }));
