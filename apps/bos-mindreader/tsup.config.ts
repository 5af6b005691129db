import { defineConfig } from "tsup";
import { appTsup } from "../../tsup.shared.js";

// One runnable file; the workspace packages it imports resolve from node_modules, but for the `blocks` commands'
// definitions (`@manageos/mindreader/cli`), built in so that --help does not load the mindreader.
export default defineConfig({ ...appTsup(), noExternal: ["@manageos/mindreader/cli"] });
