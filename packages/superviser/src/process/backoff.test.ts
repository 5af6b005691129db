import { describe, expect, it } from "vitest";
import { backoffDelay } from "./backoff.js";
import { shouldRestart } from "./restart-policy.js";

describe("backoffDelay", () => {
  it("doubles from the base and stops at the cap", () => {
    const opts = { backoffBase: 1_000, backoffCap: 60_000 };
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(n, opts))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000,
    ]);
    expect(backoffDelay(10_000, opts)).toBe(60_000);
  });
});

describe("shouldRestart", () => {
  const base = { backoffBase: 1, backoffCap: 1, resetAfter: 1, crashLoopThreshold: 1 };
  const exit = (exitCode: number | undefined, signal?: string) => ({
    exitCode,
    signal,
    killed: false,
    timedOut: false,
    requested: false,
  });
  it("follows the policy", () => {
    expect(shouldRestart(exit(0), { ...base, policy: "always" })).toBe(true);
    expect(shouldRestart(exit(0), { ...base, policy: "on-failure" })).toBe(false);
    expect(shouldRestart(exit(1), { ...base, policy: "on-failure" })).toBe(true);
    expect(shouldRestart(exit(undefined, "SIGSEGV"), { ...base, policy: "on-failure" })).toBe(true);
    expect(shouldRestart(exit(1), { ...base, policy: "never" })).toBe(false);
    expect(shouldRestart(exit(2), { ...base, policy: "always", noRestartExitCodes: [2] })).toBe(false);
    expect(shouldRestart({ ...exit(0), requested: true }, { ...base, policy: "always" })).toBe(false);
  });
});
