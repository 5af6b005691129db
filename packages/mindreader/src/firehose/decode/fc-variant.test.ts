import { beforeAll, describe, expect, it } from "vitest";
import { FirehoseDecoder } from "./decoder.js";
import { generateChain } from "./test-support/generator.js";
import { type IndependentSchema, independentSchema } from "./test-support/independent.js";
import { splitDmlog } from "./test-support/split.js";

// fc::raw packing by hand: what nodeos prints for a failed action's `except`.
const u8 = (n: number) => Buffer.from([n]);
const varuint = (n: number) => {
  const out: number[] = [];
  let x = n;
  do {
    out.push((x & 0x7f) | (x >= 0x80 ? 0x80 : 0));
    x = Math.floor(x / 128);
  } while (x > 0);
  return Buffer.from(out);
};
const str = (s: string) => Buffer.concat([varuint(Buffer.byteLength(s)), Buffer.from(s)]);
const i64 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(n);
  return b;
};
const variantString = (s: string) => Buffer.concat([u8(5), str(s)]);
const variantObject = (entries: Array<[string, Buffer]>) =>
  Buffer.concat([u8(7), varuint(entries.length), ...entries.map(([k, v]) => Buffer.concat([str(k), v]))]);

// biome-ignore lint/suspicious/noTemplateCurlyInString: fc's own placeholder syntax, not a template.
const FORMAT = "assertion failure with message: ${s}";

const EXCEPTION = Buffer.concat([
  i64(3050003n),
  str("eosio_assert_message_exception"),
  str("eosio_assert_message assertion failure"),
  varuint(1),
  variantObject([
    [
      "context",
      variantObject([
        ["level", variantString("error")],
        ["file", variantString("cf_system.cpp")],
        ["line", Buffer.concat([u8(2), Buffer.from([14, 0, 0, 0, 0, 0, 0, 0])])],
        ["method", variantString("eosio_assert")],
        ["hostname", variantString("")],
        ["thread_name", variantString("chain-0")],
        ["timestamp", variantString("2024-01-01T00:00:01.500")],
      ]),
    ],
    ["format", variantString(FORMAT)],
    ["data", variantObject([["s", variantString("overdrawn balance")]])],
  ]),
]);

let schema: IndependentSchema;
beforeAll(() => {
  schema = independentSchema();
});

describe("a transaction trace with an exception", () => {
  it("keeps the exception's code, name, message and log, and the error code", () => {
    const chain = generateChain({ blocks: 1, seed: 11 });
    const piece = splitDmlog(chain.text).find((p) => p.inBlock)!;
    // The first transaction after onblock: its trace ends with except and error_code absent (00 00).
    let patched = false;
    const lines = piece.lines.map((line, i) => {
      if (patched || !line.startsWith("DMLOG APPLIED_TRANSACTION ") || i < 4) return line;
      patched = true;
      expect(line.endsWith("0000")).toBe(true);
      const tail = Buffer.concat([u8(1), EXCEPTION, u8(1), Buffer.from("1234000000000000", "hex")]);
      return `${line.slice(0, -4)}${tail.toString("hex")}`;
    });
    expect(patched).toBe(true);
    const decoder = new FirehoseDecoder();
    const block = decoder.decode(Buffer.from(`${lines.join("\n")}\n`));
    const { payload } = schema.decode(block.bstream);
    const failed = (payload.unfiltered_transaction_traces as Array<Record<string, unknown>>).find(
      (t) => t.exception !== undefined && t.exception !== null,
    )!;
    expect(failed.error_code).toBe(String(0x3412));
    const exception = failed.exception as Record<string, unknown>;
    expect(exception).toMatchObject({
      code: 3050003,
      name: "eosio_assert_message_exception",
      message: "eosio_assert_message assertion failure",
    });
    const [log] = exception.stack as Array<Record<string, unknown>>;
    expect(log!.format).toBe(FORMAT);
    expect(JSON.parse(Buffer.from(String(log!.data), "base64").toString())).toEqual({ s: "overdrawn balance" });
    expect(log!.context).toMatchObject({
      level: "error",
      file: "cf_system.cpp",
      line: 14,
      method: "eosio_assert",
      thread_name: "chain-0",
      timestamp: "2024-01-01T00:00:01.500Z",
    });
  });
});
