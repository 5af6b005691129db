import { describe, expect, it } from "vitest";
import { LineSplitter } from "./line-splitter.js";

function split(chunks: string[], max = 1024): [string, boolean][] {
  const out: [string, boolean][] = [];
  const splitter = new LineSplitter(max, (text, truncated) => out.push([text, truncated]));
  for (const c of chunks) splitter.push(Buffer.from(c));
  splitter.end();
  return out;
}

describe("LineSplitter", () => {
  it("splits lines inside one chunk and across chunks, dropping CR", () => {
    expect(split(["a\nb", "c\r\nd\n", "e"])).toEqual([
      ["a", false],
      ["bc", false],
      ["d", false],
      ["e", false],
    ]);
  });

  it("keeps empty lines", () => {
    expect(split(["\n\nx\n"])).toEqual([
      ["", false],
      ["", false],
      ["x", false],
    ]);
  });

  it("cuts a long line inside one chunk and goes on with the next line", () => {
    expect(split(["abcdefgh\nok\n"], 4)).toEqual([
      ["abcd", true],
      ["ok", false],
    ]);
  });

  it("cuts a long line spread over chunks once, skipping the rest up to its newline", () => {
    expect(split(["ab", "cd", "ef", "gh", "ij\nok"], 5)).toEqual([
      ["abcde", true],
      ["ok", false],
    ]);
  });

  it("does not cut a line of exactly the maximum length", () => {
    expect(split(["abcd", "\n"], 4)).toEqual([["abcd", false]]);
  });

  it("decodes UTF-8 split between chunks", () => {
    const bytes = Buffer.from("héllo\n");
    const out: string[] = [];
    const splitter = new LineSplitter(100, (t) => out.push(t));
    splitter.push(bytes.subarray(0, 2));
    splitter.push(bytes.subarray(2));
    expect(out).toEqual(["héllo"]);
  });
});

describe("LineSplitter with limits by kind", () => {
  const limits = { deepMind: 32, other: 8 };
  function splitBy(chunks: string[]): [string, boolean][] {
    const out: [string, boolean][] = [];
    const splitter = new LineSplitter(limits, (text, truncated) => out.push([text, truncated]));
    for (const c of chunks) splitter.push(Buffer.from(c));
    splitter.end();
    return out;
  }

  it("cuts log lines at their limit and keeps deep-mind lines up to theirs, within a chunk and across chunks", () => {
    expect(splitBy(["info  a long log line\nDMLOG START_BLOCK 12345\n"])).toEqual([
      ["info  a ", true],
      ["DMLOG START_BLOCK 12345", false],
    ]);
    expect(splitBy(["DML", "OG ACCEPTED_BLOCK 1 ", "abcdefabcdefabcdef\n", "warn  x", "yz pqrs\nok\n"])).toEqual([
      ["DMLOG ACCEPTED_BLOCK 1 abcdefabc", true],
      ["warn  xy", true],
      ["ok", false],
    ]);
  });
});
