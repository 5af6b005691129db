import { defineConfig } from "tsup";
import { sharedTsup } from "../../tsup.shared.js";

// One runnable file: workspace packages are bundled in, npm dependencies stay external.
export default defineConfig(
  sharedTsup({ noExternal: [/^@manageos\//], banner: { js: "#!/usr/bin/env node" } }),
);
