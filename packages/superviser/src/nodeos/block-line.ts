import type { BlockEvent } from "@manageos/core";

// leap/spring: `... Received block 5e1a9d0a2f0b3c4d... #1234 @ 2023-06-01T12:00:00.500 signed by bp.a [trxs: 0, lib: 1200, confirmed: 0, ...`
// EOSIO 1.x: `... [trxs: 0, lib: 1200, conf: 0, latency: 12 ms]`; spring: no confirmed field at all.
const BLOCK =
  /(Received|Produced) block ([0-9a-f]+)(?:\.\.\.)? #(\d+) @ (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)Z? signed by ([a-z1-5.]+) \[trxs: (\d+), lib: (\d+)(?:, (?:conf|confirmed): (\d+))?/;

/** What every block line holds: the cheap test before the regexp. */
export const BLOCK_LINE_NEEDLE = "d block ";

/** Parses a nodeos `Received block` / `Produced block` line in any known layout. */
export function parseBlockLine(text: string): BlockEvent | undefined {
  const m = BLOCK.exec(text);
  if (m === null) return undefined;
  const [, verb, id, num, time, producer, trxs, lib, confirmed] = m as unknown as string[];
  const event: BlockEvent = {
    num: Number(num),
    idPrefix: id as string,
    producer: producer as string,
    time: `${time}Z`,
    lib: Number(lib),
    kind: verb === "Produced" ? "produced" : "received",
    trxs: Number(trxs),
    ...(confirmed === undefined ? {} : { confirmed: Number(confirmed) }),
  };
  return event;
}
