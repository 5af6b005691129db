import { defineConfig } from "tsup";
import { sharedTsup } from "../../tsup.shared.js";

// Two entries: the whole package, and `@manageos/core/cli`, the apps' entry point, which loads the daemon only for `run`.
// Code splitting gives the modules both reach one copy (one error catalogue, one ManageosError class) in shared chunks.
export default defineConfig(sharedTsup({ entry: { index: "src/index.ts", cli: "src/cli/index.ts" }, splitting: true }));
