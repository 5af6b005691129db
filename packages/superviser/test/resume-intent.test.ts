import { describe, expect, it } from "vitest";
import { IntentBook, type OwnIntent } from "../src/nodeos/production/resume-intent.js";

const TTL = 5_000;

// Books of nodes that share one clock, as the handshake sees them; `producing` is what each says of itself.
function cluster(names: readonly string[]) {
  let now = 1_000_000;
  const producing = new Map(names.map((n) => [n, false]));
  const books = new Map(names.map((n) => [n, new IntentBook({ node: n }, { now: () => now, producing: () => producing.get(n) === true })]));
  return {
    book: (n: string) => books.get(n) as IntentBook,
    produce: (n: string) => producing.set(n, true),
    advance: (ms: number) => {
      now += ms;
    },
  };
}

// Every order in which the messages of `racers` (each one's intent, to each other node) can arrive, as [from, to].
function orders(racers: readonly string[], all: readonly string[]): [string, string][][] {
  const messages: [string, string][] = racers.flatMap((r) => all.filter((n) => n !== r).map((n) => [r, n] as [string, string]));
  const out: [string, string][][] = [];
  const walk = (rest: [string, string][], acc: [string, string][]) => {
    if (rest.length === 0) {
      out.push(acc);
      return;
    }
    for (const [i, m] of rest.entries()) walk([...rest.slice(0, i), ...rest.slice(i + 1)], [...acc, m]);
  };
  walk(messages, []);
  return out;
}

describe("the resume handshake without etcd", () => {
  it("lets at most one of two or three nodes resuming at the same moment win, in every order the messages can take, and the smallest id always wins", () => {
    const names = ["node-0", "node-1", "node-2"];
    for (const racers of [["node-0", "node-1"], ["node-1", "node-2"], ["node-0", "node-2"], names]) {
      const seen = orders(racers, names);
      expect(seen.length).toBeGreaterThan(1);
      for (const order of seen) {
        const c = cluster(names);
        const own = new Map(racers.map((r) => [r, c.book(r).begin(TTL) as OwnIntent]));
        const granted = new Map(racers.map((r) => [r, 0]));
        for (const [from, to] of order) {
          const answer = c.book(to).consider((own.get(from) as OwnIntent).intent);
          if (answer.granted) granted.set(from, (granted.get(from) ?? 0) + 1);
        }
        const winners = racers.filter(
          (r) => granted.get(r) === names.length - 1 && c.book(r).stillValid(own.get(r) as OwnIntent, 1_000) === undefined,
        );
        expect(winners, `${racers.join("+")}: ${order.map(([f, t]) => `${f}->${t}`).join(" ")}`).toEqual([[...racers].sort()[0]]);
      }
    }
  });

  it("never grants while it produces, and a node that granted does not start its own until the grant ends", () => {
    const c = cluster(["node-0", "node-1"]);
    const a = c.book("node-0").begin(TTL) as OwnIntent;
    expect(c.book("node-1").consider(a.intent)).toEqual({ granted: true });
    expect(c.book("node-1").grantedTo()).toEqual(["node-0"]);
    expect(c.book("node-1").begin(TTL)).toMatch(/^node-0 is resuming/);
    c.book("node-1").release(a.intent.id);
    expect(c.book("node-1").grantedTo()).toEqual([]);
    const b = c.book("node-1").begin(TTL) as OwnIntent;
    expect(typeof b).toBe("object");
    c.produce("node-0");
    expect(c.book("node-0").consider(b.intent)).toEqual({ granted: false, reason: "node-0 produces" });
  });

  it("lets a grant run out: a winner that took longer than its grants may hold does not resume on them", () => {
    const c = cluster(["node-0", "node-1"]);
    const a = c.book("node-0").begin(TTL) as OwnIntent;
    expect(c.book("node-1").consider(a.intent).granted).toBe(true);
    c.advance(TTL - 1_000 - 1);
    expect(c.book("node-0").stillValid(a, 1_000)).toBeUndefined();
    c.advance(2);
    expect(c.book("node-0").stillValid(a, 1_000)).toMatch(/grants expired/);
    // On the granting side the grant is gone once its time is up.
    c.advance(1_000);
    expect(c.book("node-1").grantedTo()).toEqual([]);
    expect(typeof c.book("node-1").begin(TTL)).toBe("object");
  });

  it("refuses an intent that names this node itself", () => {
    const c = cluster(["node-0"]);
    const own = c.book("node-0").begin(TTL) as OwnIntent;
    expect(c.book("node-0").consider(own.intent)).toEqual({ granted: false, reason: "node-0 is this node's own id" });
  });
});
