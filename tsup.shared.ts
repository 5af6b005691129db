import type { Options } from "tsup";

/** The one tsup config every package and app builds with; callers override entries and bundling. */
export function sharedTsup(overrides: Options = {}): Options {
  return {
    entry: ["src/index.ts"],
    format: ["esm"],
    target: "node24",
    platform: "node",
    sourcemap: true,
    clean: true,
    dts: false,
    splitting: false,
    treeshake: true,
    ...overrides,
  };
}

/** The build of an app: one runnable file with a shebang; workspace packages and npm dependencies resolve from node_modules. */
export function appTsup(): Options {
  return sharedTsup({ banner: { js: "#!/usr/bin/env node" } });
}
