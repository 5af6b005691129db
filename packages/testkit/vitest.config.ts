import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { sharedVitest } from "../../vitest.shared.js";

// Workspace packages from source: their dist may be rebuilt by a concurrent build while these tests run.
const src = (pkg: string) => fileURLToPath(new URL(`../${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  ...sharedVitest(),
  resolve: { alias: { "@manageos/core": src("core"), "@manageos/mindreader": src("mindreader") } },
});
