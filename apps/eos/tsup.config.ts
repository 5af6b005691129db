import { defineConfig } from "tsup";
import { appTsup } from "../../tsup.shared.js";

// One runnable file; the workspace packages it imports resolve from node_modules.
export default defineConfig(appTsup());
