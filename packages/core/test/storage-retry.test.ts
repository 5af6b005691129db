import { describe, expect, it } from "vitest";
import { StorageErrors, TransientError, withRetry } from "../src/index.js";

describe("withRetry", () => {
  it("retries transient failures with growing, capped delays, then succeeds", async () => {
    const delays: number[] = [];
    let calls = 0;
    const result = await withRetry(
      "gs://b/k",
      { retries: 5, baseDelayMs: 100, maxDelayMs: 300, sleep: async (ms) => void delays.push(ms), random: () => 1 },
      async () => {
        calls++;
        if (calls < 4) throw new TransientError("HTTP 503");
        return "ok";
      },
    );
    expect(result).toBe("ok");
    expect(delays).toEqual([100, 200, 300]);
  });

  it("gives up after the bound with STO_ERR_UNREACHABLE naming the attempts", async () => {
    let calls = 0;
    const attempt = withRetry("gs://b/k", { retries: 2, baseDelayMs: 1, maxDelayMs: 1, sleep: async () => {} }, async () => {
      calls++;
      throw new TransientError("ECONNRESET");
    });
    await expect(attempt).rejects.toMatchObject({ code: "STO_ERR_UNREACHABLE", message: expect.stringContaining("3 attempt") });
    expect(calls).toBe(3);
  });

  it("does not retry permanent errors", async () => {
    let calls = 0;
    const attempt = withRetry("gs://b/k", { retries: 5, baseDelayMs: 1, maxDelayMs: 1, sleep: async () => {} }, async () => {
      calls++;
      throw StorageErrors.auth("gs://b/k", "denied");
    });
    await expect(attempt).rejects.toMatchObject({ code: "STO_ERR_AUTH" });
    expect(calls).toBe(1);
  });
});
