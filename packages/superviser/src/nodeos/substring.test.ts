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
});
