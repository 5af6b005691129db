import type { Options } from "tsup";

/** The one tsup config every package and app builds with; callers override entries and bundling. */
export function sharedTsup(overrides: Options = {}): Options {
  return {
    entry: ["src/index.ts"],
    format: ["esm"],
    target: "node20",
    platform: "node",
    sourcemap: true,
    clean: true,
    dts: false,
    splitting: false,
    treeshake: true,
    ...overrides,
  };
}
