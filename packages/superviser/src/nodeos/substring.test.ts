import { describe, expect, it } from "vitest";
import { holds, NeedleSet, needle } from "./substring.js";

describe("holds", () => {
  it("answers as includes, whatever piece of the needle it searches first", () => {
    const needles = ["requesting range", "d block ", "Received block ", "k ", "plain", "zz"];
    const texts = [
      "",
      "k ",
      "block ",
      "a d block b",
      "a db lock ",
      "questing range",
      "xrequesting range",
      "requesting rang",
      "Received block",
      "Received block #1",
      "plai",
      "zz top",
      "info  2023-06-01T12:00:00.500 net-0 net_plugin.cpp:1 f ] requesting range 1 to 2, from peer",
    ];
    for (const whole of needles) {
      const n = needle(whole);
      for (const text of texts) expect(holds(text, n), `${whole} in ${text}`).toBe(text.includes(whole));
    }
  });

  it("a set answers whether any of its needles is held, gated or not", () => {
    const wholes = ["Received block ", "Produced block ", "Block not applied to head", "requesting range", "Catching up with chain"];
    const set = new NeedleSet(wholes);
    const texts = [
      "",
      "k ",
      "on_incoming_block ] nothing here",
      "a Block not applied to head #1",
      "Block not applied",
      "x requesting range 1 to 2",
      "questing range",
      "Catching up with chain, our last req",
      "Received block",
      "] Received block 0a1b... #12",
      "Produced block 0a1b",
    ];
    for (const text of texts) expect(set.heldBy(text), text).toBe(wholes.some((w) => text.includes(w)));
    // No shared piece: every needle on its own.
    const apart = new NeedleSet(["alpha", "Beta"]);
    expect(apart.heldBy("a Beta")).toBe(true);
    expect(apart.heldBy("alph")).toBe(false);
    expect(new NeedleSet([]).heldBy("anything")).toBe(false);
  });

  it("a set given the reads its lines came from answers as without them", () => {
    const wholes = ["Received block ", "Produced block ", "Block not applied to head", "requesting range", "Catching up with chain"];
    const lines = [
      "info  ] connection to peer closed",
      "info  ] on_incoming_block ] nothing",
      "info  ] Received block 0a1b #12",
      "info  ] x requesting range 1 to 2",
      "info  ] questing range",
      "info  ] Catching up with chain, our last req",
      "info  ] Block not applied",
    ];
    // Every way of putting consecutive lines into reads of one to three lines, in order, with reads seen twice.
    let seed = 7;
    const random = () => {
      seed = (seed * 48271) % 2147483647;
      return seed / 2147483647;
    };
    for (let round = 0; round < 200; round++) {
      const set = new NeedleSet(wholes);
      const picked = Array.from({ length: 12 }, () => lines[Math.floor(random() * lines.length)] as string);
      for (let i = 0; i < picked.length; ) {
        const n = 1 + Math.floor(random() * 3);
        const readLines = picked.slice(i, i + n);
        const read = `${readLines.join("\n")}\n`;
        for (const text of readLines) expect(set.heldBy(text, read), `${text} in ${read}`).toBe(wholes.some((w) => text.includes(w)));
        // A line with no read, between reads, is searched whole.
        expect(set.heldBy("info  ] Produced block 0a1b")).toBe(true);
        i += n;
      }
    }
  });
});
