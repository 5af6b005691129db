import { chmod } from "node:fs/promises";
import { defineConfig } from "tsup";
import { sharedTsup } from "../../tsup.shared.js";

// One build for the library and both simulators; the shebang is harmless in index.js.
// No clean: other packages' tests run the bins while a rebuild may be under way, so files are overwritten, never removed.
export default defineConfig(
  sharedTsup({
    entry: {
      index: "src/index.ts",
      "nodeos-sim": "src/bin/nodeos-sim.ts",
      "blocksigner-sim": "src/bin/blocksigner-sim.ts",
    },
    banner: { js: "#!/usr/bin/env node" },
    external: ["vitest", /^(?!@manageos\/)[^./]/],
    clean: false,
    // Workspace packages are inlined so a running simulator never reads their dist while it is being rebuilt.
    noExternal: ["@manageos/core", "@manageos/mindreader"],
    onSuccess: async () => {
      await chmod("dist/nodeos-sim.js", 0o755);
      await chmod("dist/blocksigner-sim.js", 0o755);
    },
  }),
);
