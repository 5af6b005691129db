import { decodeBlockStateMeta, decodeSignedBlockMeta } from "@manageos/mindreader";
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
    const block = (await (
      await fetch(`${sim.httpUrl}/v1/chain/get_block`, { method: "POST", body: JSON.stringify({ block_num_or_id: last.num }) })
    ).json()) as { id: string };
    expect(block.id).toBe(last.id);
    await sim.stop();
  });

  it("prints spring 1 DMLOG lines on a Spring node: legacy ACCEPTED_BLOCK before Savanna, ACCEPTED_BLOCK_V2 after, one linked chain", async () => {
    const from = 8;
    const sim = await startNodeosSim({ blockIntervalMs: 20, deepMind: true, version: "v1.2.2", savannaFrom: from });
    await sim.process.waitForLine(/^DMLOG ACCEPTED_BLOCK_V2 \S+ 14 /, { stream: "stdout" });
    const lines = [...sim.process.stdoutLines];
    expect(lines[0]).toBe("DMLOG DEEP_MIND_VERSION spring 1 0");
    let previous: { num: number; id: string } | undefined;
    for (const line of lines.filter((l) => /^DMLOG ACCEPTED_BLOCK(_V2)? /.test(l))) {
      const f = line.split(" ");
      const meta =
        f[1] === "ACCEPTED_BLOCK"
          ? decodeBlockStateMeta(f[3]!, Number(f[2]), "spring")
          : decodeSignedBlockMeta({ id: f[2]!, num: Number(f[3]), lib: Number(f[4]), block: f[5]!, rest: f.slice(6) });
      expect(f[1]).toBe(meta.num >= from ? "ACCEPTED_BLOCK_V2" : "ACCEPTED_BLOCK");
      if (meta.num >= from) expect(meta.lib).toBe(meta.num - 2);
      if (previous !== undefined) {
        expect(meta.num).toBe(previous.num + 1);
        expect(meta.previous).toBe(previous.id);
      }
      previous = meta;
    }
    expect(previous!.num).toBeGreaterThanOrEqual(14);
    await sim.stop();
  });
});
