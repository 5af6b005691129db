import { describe, expect, it } from "vitest";
import { ANTELOPE_CONTENT_TYPE, dbinFrame, dbinHeader, readDbin } from "./dbin.js";
import { firehoseBundleFileName, firehoseOneBlockFileName, isFirehoseBundleFileName, parseFirehoseOneBlockFileName } from "./naming.js";

describe("dbin v1", () => {
  it("writes the header firehose-core writes and reads its frames back", () => {
    const header = dbinHeader();
    expect(header.subarray(0, 7)).toEqual(Buffer.from([0x64, 0x62, 0x69, 0x6e, 0x01, 0x00, 0x2d]));
    expect(header.subarray(7).toString()).toBe("type.googleapis.com/sf.antelope.type.v1.Block");
    const file = Buffer.concat([header, dbinFrame(Buffer.from("one")), dbinFrame(new Uint8Array(0)), dbinFrame(Buffer.from("three"))]);
    const read = readDbin(file, "f");
    expect(read.contentType).toBe(ANTELOPE_CONTENT_TYPE);
    expect(read.headerLength).toBe(header.length);
    expect(read.messages.map((m) => Buffer.from(m).toString())).toEqual(["one", "", "three"]);
  });

  it("refuses another magic or version and a frame cut short, naming the file", () => {
    const file = Buffer.concat([dbinHeader(), dbinFrame(Buffer.from("abcdef"))]);
    expect(() => readDbin(file.subarray(0, file.length - 1), "x.dbin")).toThrow(
      /cannot decode x\.dbin: frame of 6 bytes at byte 52 cut short/,
    );
    expect(() => readDbin(Buffer.from("nope...."), "y")).toThrow(/no dbin magic/);
    const v0 = Buffer.from(file);
    v0[4] = 0;
    expect(() => readDbin(v0, "z")).toThrow(expect.objectContaining({ code: "MDR_ERR_DECODE" }));
  });
});

describe("Firehose file names", () => {
  it("names a block as firehose-core's reader node does and reads the name back", () => {
    const meta = { num: 150, id: `00000096${"ab".repeat(28)}`, previous: `00000095${"cd".repeat(28)}`, lib: 126 };
    const name = firehoseOneBlockFileName(meta, "eos_mr_0");
    expect(name).toBe(`0000000150-${"ab".repeat(8)}-${"cd".repeat(8)}-126-eos_mr_0.dbin.zst`);
    expect(parseFirehoseOneBlockFileName(name)).toEqual({
      num: 150,
      idTail: "ab".repeat(8),
      previousTail: "cd".repeat(8),
      lib: 126,
      suffix: "eos_mr_0",
    });
    expect(parseFirehoseOneBlockFileName("0000000150-20261122T082145.5-790a971a-ddd64d55-126-x.dmblock.gz")).toBeUndefined();
    expect(firehoseBundleFileName(100)).toBe("0000000100.dbin.zst");
    expect(isFirehoseBundleFileName("0000000100.dbin.zst")).toBe(true);
    expect(isFirehoseBundleFileName(name)).toBe(false);
  });
});
