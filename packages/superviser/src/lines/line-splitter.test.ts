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

  it("gives a line the text of the read that holds it whole, when that read is ASCII", () => {
    const out: [string, string | undefined][] = [];
    const splitter = new LineSplitter(8, (text, _truncated, read) => out.push([text, read]));
    for (const c of ["one\ntw", "o\nthree\r\n", "héllo\nx\n", "much too long\n"]) splitter.push(Buffer.from(c));
    splitter.end();
    expect(out).toEqual([
      ["one", "one\ntw"],
      // Joined from two reads: none holds it whole.
      ["two", undefined],
      ["three", "o\nthree\r\n"],
      // A read of UTF-8 is decoded line by line, and gives no read.
      ["héllo", undefined],
      ["x", undefined],
      // Cut inside one read: still wholly inside it.
      ["much too", "much too long\n"],
    ]);
    for (const [text, read] of out) if (read !== undefined) expect(read.includes(text)).toBe(true);
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

  it("gives the same lines from ASCII chunks (decoded once) as from UTF-8 chunks, limits counted in bytes", () => {
    const text = "info  plain ascii line\r\nwarn  東京 and émoji 🚀 here\nDMLOG x\nerror tail without end";
    const bytes = Buffer.from(text);
    const whole = (max: number) => {
      const out: [string, boolean][] = [];
      const splitter = new LineSplitter(max, (t, truncated) => out.push([t, truncated]));
      splitter.push(bytes);
      splitter.end();
      return out;
    };
    // Every way of cutting the bytes in two (ASCII chunks, UTF-8 chunks, characters split between them) agrees.
    for (const max of [1024, 12]) {
      const expected = whole(max);
      for (let at = 1; at < bytes.length; at++) {
        const out: [string, boolean][] = [];
        const splitter = new LineSplitter(max, (t, truncated) => out.push([t, truncated]));
        splitter.push(bytes.subarray(0, at));
        splitter.push(bytes.subarray(at));
        splitter.end();
        expect(out).toEqual(expected);
      }
    }
    expect(whole(1024).map(([t]) => t)).toEqual([
      "info  plain ascii line",
      "warn  東京 and émoji 🚀 here",
      "DMLOG x",
      "error tail without end",
    ]);
    // 12 bytes: `warn  ` and two 3-byte characters; the ASCII lines are cut at 12 characters.
    expect(whole(12)).toEqual([
      ["info  plain ", true],
      ["warn  東京", true],
      ["DMLOG x", false],
      ["error tail w", true],
    ]);
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
