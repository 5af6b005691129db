import type { ViteUserConfig } from "vitest/config";

/** The vitest settings every package shares: real processes are slow on a busy 2-core machine. */
export function sharedVitest(overrides: ViteUserConfig["test"] = {}): ViteUserConfig {
  return {
    test: {
      include: ["src/**/*.test.ts", "test/**/*.test.ts"],
      testTimeout: 60_000,
      hookTimeout: 60_000,
      pool: "forks",
      maxWorkers: 2,
      reporters: ["default", "json"],
      outputFile: { json: "test-results.json" },
      ...overrides,
    },
  };
}
