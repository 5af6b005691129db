import { describe, expect, it } from "vitest";
import { BlockBytes, linesOfBytes } from "./block-bytes.js";

describe("block bytes", () => {
  it("keeps each block's lines as UTF-8, newline-terminated, through slab changes and discarded blocks", () => {
    const bytes = new BlockBytes();
    bytes.append("DMLOG START_BLOCK 1");
    bytes.discard();
    const first = ["DMLOG START_BLOCK 2", 'DMLOG TRX_OP CREATE onblock {"memo":"café ☕"}', "DMLOG ACCEPTED_BLOCK 2 00"];
    for (const line of first) bytes.append(line);
    const one = bytes.finish();
    // A line longer than a slab: the block read so far moves to a new, larger one.
    const big = `DMLOG APPLIED_TRANSACTION 3 ${"ab".repeat(3 * 1024 * 1024)}`;
    const second = ["DMLOG START_BLOCK 3", big, "DMLOG ACCEPTED_BLOCK 3 00"];
    for (const line of second) bytes.append(line);
    const two = bytes.finish();

    expect(linesOfBytes(one)).toEqual(first);
    expect(one.toString("utf8")).toBe(`${first.join("\n")}\n`);
    expect(one.length).toBe(Buffer.byteLength(`${first.join("\n")}\n`));
    expect(linesOfBytes(two)).toEqual(second);
    // The first block's bytes are untouched by what came after.
    expect(linesOfBytes(one)).toEqual(first);
    expect(one.buffer).toBeInstanceOf(SharedArrayBuffer);
  });
});
