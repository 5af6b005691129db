import { describe, expect, it } from "vitest";
import { startNodeosSim } from "../src/index.js";

describe("nodeos-sim large answers (NODEOS_SIM_LARGE_BODY_BYTES)", () => {
  it("answers /v1/sim/large_body with a JSON body of exactly the bytes asked for, by GET and POST", async () => {
    const sim = await startNodeosSim({ env: { NODEOS_SIM_LARGE_BODY_BYTES: String(1024 * 1024) } });
    try {
      for (const method of ["GET", "POST"]) {
        const res = await fetch(`${sim.httpUrl}/v1/sim/large_body`, { method });
        expect(res.status).toBe(200);
        expect(res.headers.get("content-length")).toBe(String(1024 * 1024));
        const text = await res.text();
        expect(text.length).toBe(1024 * 1024);
        const { bytes } = JSON.parse(text) as { bytes: string };
        expect(bytes.slice(0, 27)).toBe("abcdefghijklmnopqrstuvwxyza");
      }
    } finally {
      await sim.stop();
    }
  });

  it("serves no such path by default, as nodeos does not", async () => {
    const sim = await startNodeosSim({});
    try {
      expect((await fetch(`${sim.httpUrl}/v1/sim/large_body`)).status).toBe(404);
    } finally {
      await sim.stop();
    }
  });
});
