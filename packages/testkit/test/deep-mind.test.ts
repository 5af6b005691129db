import { decodeBlockStateMeta } from "@manageos/mindreader";
import { describe, expect, it } from "vitest";
import { startNodeosSim } from "../src/index.js";

describe("nodeos-sim deep-mind", () => {
  it("prints leap 13 DMLOG lines whose block states decode, number their ids and link", async () => {
    const sim = await startNodeosSim({ blockIntervalMs: 20, deepMind: true, libLag: 3 });
    await sim.process.waitForLine(/#12 @/);
    await sim.process.waitForLine(/^DMLOG ACCEPTED_BLOCK 12 /, { stream: "stdout" });
    const lines = [...sim.process.stdoutLines];
    expect(lines[0]).toBe("DMLOG DEEP_MIND_VERSION leap 13 0");
    expect(lines.every((l) => l.startsWith("DMLOG "))).toBe(true);
    const accepted = lines.filter((l) => l.startsWith("DMLOG ACCEPTED_BLOCK "));
    expect(accepted.length).toBeGreaterThanOrEqual(10);
    let previous: { num: number; id: string } | undefined;
    for (const line of accepted) {
      const [, , num, hex] = line.split(" ");
      const meta = decodeBlockStateMeta(hex!, Number(num));
      expect(meta.num).toBe(Number(num));
      expect(Number.parseInt(meta.id.slice(0, 8), 16)).toBe(meta.num);
      expect(meta.producer).toBe("eosio");
      expect(meta.lib).toBeLessThanOrEqual(meta.num);
      if (previous !== undefined) {
        expect(meta.num).toBe(previous.num + 1);
        expect(meta.previous).toBe(previous.id);
      }
      previous = meta;
    }
    // START_BLOCK precedes every ACCEPTED_BLOCK of the same number.
    const starts = lines.filter((l) => l.startsWith("DMLOG START_BLOCK ")).map((l) => Number(l.split(" ")[2]));
    expect(starts).toEqual(accepted.map((l) => Number(l.split(" ")[2])));
    // The ids the decoder computes are the ids the API serves.
    const last = previous!;
    const block = (await (await fetch(`${sim.httpUrl}/v1/chain/get_block`, { method: "POST", body: JSON.stringify({ block_num_or_id: last.num }) })).json()) as { id: string };
    expect(block.id).toBe(last.id);
    await sim.stop();
  });
});
