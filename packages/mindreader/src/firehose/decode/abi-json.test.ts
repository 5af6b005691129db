import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ABI, PrivateKey, Serializer } from "@wharfkit/antelope";
import { describe, expect, it } from "vitest";
import { AbiJson } from "./abi-json.js";
import { jsonValue } from "./json-value.js";
import { TransactionTraceStruct } from "./test-support/trace-structs.js";

const FIXTURES = join(import.meta.dirname, "..", "..", "..", "test", "fixtures");

// What the decoder wrote before the compiled readers, and writes for the types they do not handle.
function wharfkitJson(abi: ABI, type: string, data: Uint8Array): string {
  return JSON.stringify(jsonValue(Serializer.decode({ data, abi, type, strictExtensions: false })));
}

const KEY = PrivateKey.fromString("5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3");

const EVERY_TYPE = ABI.from({
  version: "eosio::abi/1.1",
  types: [{ new_type_name: "acct", type: "name" }],
  structs: [
    {
      name: "base",
      base: "",
      fields: [
        { name: "b", type: "uint8" },
        { name: "flag", type: "bool" },
      ],
    },
    {
      name: "all",
      base: "base",
      fields: [
        ...["int8", "int16", "int32", "uint16", "uint32", "varint32", "varuint32"].map((t) => ({ name: t, type: t })),
        { name: "tp", type: "time_point" },
        { name: "tps", type: "time_point_sec" },
        { name: "bt", type: "block_timestamp_type" },
        { name: "sym", type: "symbol" },
        { name: "sc", type: "symbol_code" },
        { name: "a", type: "asset" },
        { name: "na", type: "asset" },
        { name: "ea", type: "extended_asset" },
        { name: "i64", type: "int64" },
        { name: "u64", type: "uint64" },
        { name: "big", type: "uint64" },
        { name: "u128", type: "uint128" },
        { name: "i128", type: "int128" },
        { name: "f32", type: "float32" },
        { name: "f64", type: "float64" },
        { name: "none", type: "uint8?" },
        { name: "some", type: "uint8?" },
        { name: "arr", type: "acct[]" },
        { name: "v", type: "var" },
        { name: "cs", type: "checksum160" },
        { name: "c256", type: "checksum256" },
        { name: "by", type: "bytes" },
        { name: "s", type: "string" },
        { name: "key", type: "public_key" },
        { name: "sig", type: "signature" },
        { name: "ext", type: "uint16$" },
      ],
    },
  ],
  variants: [{ name: "var", types: ["uint8", "string"] }],
  actions: [],
  tables: [],
});

const VALUES = {
  b: 1,
  flag: true,
  int8: -5,
  int16: -300,
  int32: -70000,
  uint16: 65535,
  uint32: 4294967295,
  varint32: -3,
  varuint32: 300,
  tp: "2020-01-01T00:00:00.500",
  tps: "2020-01-01T00:00:01",
  bt: "2020-01-01T00:00:00.500",
  sym: "4,EOS",
  sc: "EOS",
  a: "1.0000 EOS",
  na: "-0.0100 EOS",
  ea: { quantity: "5 ABC", contract: "eosio.token" },
  i64: "-5000000000",
  u64: "123",
  big: "18446744073709551615",
  u128: "340282366920938463463374607431768211455",
  i128: "-7",
  f32: 1.5,
  f64: 0.1,
  none: null,
  some: 7,
  arr: ["alice", "bob"],
  v: ["string", "hi"],
  cs: "11".repeat(20),
  c256: "ab".repeat(32),
  by: "abcd",
  s: "héllo ✓",
  key: KEY.toPublic(),
  sig: KEY.signDigest(Buffer.alloc(32, 1)),
};

describe("AbiJson", () => {
  it("writes every ABI built-in as wharfkit does, binary extensions with and without their bytes", () => {
    const data = Serializer.encode({ abi: EVERY_TYPE, type: "all", object: VALUES }).array;
    const fast = new AbiJson(EVERY_TYPE);
    expect(fast.json("all", data)).toBe(wharfkitJson(EVERY_TYPE, "all", data));
    const withExtension = Buffer.concat([data, Buffer.from([7, 0])]);
    expect(fast.json("all", withExtension)).toBe(wharfkitJson(EVERY_TYPE, "all", withExtension));
    expect(JSON.parse(fast.json("all", withExtension)!).ext).toBe(7);
  });

  it("throws on data cut short, as wharfkit does, so that the action keeps raw data only", () => {
    const data = Serializer.encode({ abi: EVERY_TYPE, type: "all", object: VALUES }).array;
    expect(() => new AbiJson(EVERY_TYPE).json("all", data.subarray(0, 40))).toThrow();
  });

  it("writes a struct that repeats a field name of its base, and empty structs and arrays, as wharfkit does", () => {
    const fields = [
      { name: "a", type: "string" },
      { name: "b", type: "uint8[]" },
      { name: "c", type: "none" },
    ];
    const abi = ABI.from({
      version: "eosio::abi/1.1",
      structs: [
        { name: "none", base: "", fields: [] },
        { name: "base", base: "", fields: [{ name: "a", type: "uint8" }] },
        { name: "twice", base: "base", fields },
        // The fields of "twice" after its base's, to write its bytes with.
        { name: "own", base: "", fields },
      ],
    });
    const fast = new AbiJson(abi);
    for (const b of [[], [1], [1, 2]]) {
      const data = Serializer.encode({ abi, type: "own", object: { a: 'x"y', b, c: {} } }).array;
      // wharfkit's struct keeps both fields; the object written has the name once, in its first place.
      const json = fast.json("twice", Buffer.concat([Buffer.from([9]), data]));
      expect(json).toBe(wharfkitJson(abi, "twice", Buffer.concat([Buffer.from([9]), data])));
    }
    expect(fast.json("none", new Uint8Array(0))).toBe("{}");
  });

  it("reads arrays of empty structs, whose count the bytes left do not bound, as wharfkit does, up to nodeos' limit", () => {
    const abi = ABI.from({
      version: "eosio::abi/1.1",
      types: [{ new_type_name: "nothing", type: "none" }],
      structs: [
        { name: "none", base: "", fields: [] },
        { name: "onlyext", base: "none", fields: [{ name: "x", type: "uint8$" }] },
        {
          name: "holder",
          base: "",
          fields: [
            { name: "empties", type: "nothing[]" },
            { name: "exts", type: "onlyext[]" },
            { name: "n", type: "uint8" },
          ],
        },
        { name: "nums", base: "", fields: [{ name: "v", type: "uint8[]" }] },
      ],
    });
    const fast = new AbiJson(abi);
    // Empty structs, then structs whose one field is an extension, present while bytes are left, then a byte.
    for (const bytes of [
      [5, 0, 7],
      [5, 2, 1, 2, 7],
      [0, 0, 7],
      [100, 1, 9, 7],
    ]) {
      const data = Buffer.from(bytes);
      expect(fast.json("holder", data)).toBe(wharfkitJson(abi, "holder", data));
    }
    expect(fast.json("holder", Buffer.from([5, 0, 7]))).toBe('{"empties":[{},{},{},{},{}],"exts":[],"n":7}');
    // A count past nodeos' 1,048,576 items is refused (the action keeps raw data only); at the limit it is read.
    const limit = Buffer.from([0x80, 0x80, 0x40, 0, 7]);
    expect(JSON.parse(fast.json("holder", limit) as string).empties).toHaveLength(1024 * 1024);
    expect(() => fast.json("holder", Buffer.from([0x81, 0x80, 0x40, 0, 7]))).toThrow(/more than nodeos reads/);
    // Items that take a byte at least still may not outnumber the bytes left.
    expect(() => fast.json("nums", Buffer.from([5, 1]))).toThrow(/end inside/);
    expect(fast.json("nums", Buffer.from([2, 1, 2]))).toBe('{"v":[1,2]}');
  });

  it("leaves the types it does not handle to wharfkit", () => {
    const abi = ABI.from({ ...EVERY_TYPE, structs: [{ name: "q", base: "", fields: [{ name: "x", type: "float128" }] }] });
    expect(new AbiJson(abi).json("q", new Uint8Array(16))).toBeUndefined();
  });

  it("decodes the system contract's actions of nodeos' deep-mind test as wharfkit does", () => {
    const text = readFileSync(join(FIXTURES, "leap-13.dmlog"), "utf8");
    const dump = text.split("\n").find((l) => l.startsWith("DMLOG ABIDUMP ABI eosio "))!;
    const abi = Serializer.decode({ data: Buffer.from(dump.split(" ")[4]!, "base64"), type: ABI });
    const fast = new AbiJson(abi);
    let compared = 0;
    for (const line of text.split("\n").filter((l) => l.startsWith("DMLOG APPLIED_TRANSACTION "))) {
      const trace = Serializer.decode({ data: line.split(" ")[3]!, type: TransactionTraceStruct });
      for (const t of trace.action_traces) {
        const type = abi.actions.find((a) => String(a.name) === String(t.act.name))?.type;
        if (String(t.act.account) !== "eosio" || type === undefined) continue;
        expect(fast.json(type, t.act.data.array)).toBe(wharfkitJson(abi, type, t.act.data.array));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(5);
  });
});
