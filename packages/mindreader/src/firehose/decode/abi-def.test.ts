import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ABI, Serializer } from "@wharfkit/antelope";
import { describe, expect, it } from "vitest";
import { readAbiDef } from "./abi-def.js";
import { readTransactionTrace } from "./trace.js";
import { readWhole, readWholeHex } from "./whole.js";

const FIXTURES = join(import.meta.dirname, "..", "..", "..", "test", "fixtures");

// What the decoder reads of an ABI, from wharfkit's decoding of the same bytes.
function fromWharfkit(packed: Uint8Array) {
  const abi = Serializer.decode({ data: packed, type: ABI });
  return {
    version: abi.version,
    types: abi.types.map((t) => ({ new_type_name: t.new_type_name, type: t.type })),
    structs: abi.structs.map((s) => ({ name: s.name, base: s.base, fields: s.fields.map((f) => ({ name: f.name, type: f.type })) })),
    actions: abi.actions.map((a) => ({ name: String(a.name), type: a.type })),
    tables: abi.tables.map((t) => ({ name: String(t.name), type: t.type })),
    variants: abi.variants.map((v) => ({ name: v.name, types: [...v.types] })),
  };
}

// Every ABI of the deep-mind fixtures: those nodeos dumped (ABIDUMP ABI <account> <base64 abi_def>) and those set
// by the setabi actions of their traces.
function fixtureAbis(): Buffer[] {
  const out: Buffer[] = [];
  for (const file of ["leap-13.dmlog", "spring-1.dmlog"]) {
    for (const line of readFileSync(join(FIXTURES, file), "utf8").split("\n")) {
      const at = line.indexOf("ABIDUMP ABI ");
      if (at >= 0) out.push(Buffer.from(line.slice(at).split(" ")[3] ?? "", "base64"));
      if (!line.startsWith("DMLOG APPLIED_TRANSACTION ")) continue;
      const hex = line.split(" ")[3] ?? "";
      const trace = readWholeHex(hex, "APPLIED_TRANSACTION", (r) => readTransactionTrace(r, () => "", 0));
      for (const { action } of trace.actionTraces) {
        if (action.account !== "eosio" || action.name !== "setabi") continue;
        readWhole(Buffer.from(action.rawData), "setabi", (r) => {
          r.name();
          out.push(Buffer.from(r.bytesField()));
        });
      }
    }
  }
  return out;
}

const WITH_EXTENSIONS = ABI.from({
  version: "eosio::abi/1.2",
  types: [{ new_type_name: "acct", type: "name" }],
  structs: [
    { name: "base", base: "", fields: [{ name: "a", type: "acct" }] },
    {
      name: "act",
      base: "base",
      fields: [
        { name: "v", type: "pick" },
        { name: "memo", type: "string$" },
      ],
    },
  ],
  actions: [{ name: "doit", type: "act", ricardian_contract: "## doit\nsome text" }],
  tables: [{ name: "rows", index_type: "i64", key_names: ["id"], key_types: ["uint64"], type: "base" }],
  ricardian_clauses: [{ id: "c1", body: "clause" }],
  variants: [{ name: "pick", types: ["uint8", "string"] }],
  action_results: [{ name: "doit", result_type: "uint32" }],
});

// wharfkit writes error_messages and abi_extensions empty: the bytes of WITH_EXTENSIONS with one of each, as nodeos
// would pack them (error 7 "seven"; extension tag 1, bytes 01 02).
function withErrorsAndExtensions(): Buffer {
  const full = Buffer.from(Serializer.encode({ object: WITH_EXTENSIONS }).array);
  const empty = Serializer.encode({ object: ABI.from({ ...WITH_EXTENSIONS.toJSON(), variants: [], action_results: [] }) }).array;
  // ... ricardian_clauses, error_messages (0), abi_extensions (0), then the binary extensions.
  const before = full.subarray(0, empty.length - 4);
  const after = full.subarray(empty.length - 2);
  const errors = Buffer.concat([Buffer.from([1]), Buffer.from([7, 0, 0, 0, 0, 0, 0, 0]), Buffer.from([5]), Buffer.from("seven")]);
  const extensions = Buffer.from([1, 1, 0, 2, 1, 2]);
  return Buffer.concat([before, errors, extensions, after]);
}

describe("readAbiDef", () => {
  it("reads every ABI of the fixtures as wharfkit does", () => {
    const abis = fixtureAbis();
    expect(abis.length).toBeGreaterThan(3);
    for (const packed of abis) expect(readAbiDef(packed)).toEqual(fromWharfkit(packed));
  });

  it("reads an ABI with every section and both binary extensions, and one without them", () => {
    const packed = Serializer.encode({ object: WITH_EXTENSIONS }).array;
    const def = readAbiDef(packed);
    expect(def).toEqual(fromWharfkit(packed));
    expect(def.variants).toEqual([{ name: "pick", types: ["uint8", "string"] }]);
    expect(def.actions).toEqual([{ name: "doit", type: "act" }]);
    expect(def.tables).toEqual([{ name: "rows", type: "base" }]);
    // Error messages and extensions are read past: the same, with one of each.
    expect(readAbiDef(withErrorsAndExtensions())).toEqual(def);
    const old = Serializer.encode({ object: ABI.from({ ...WITH_EXTENSIONS.toJSON(), variants: [], action_results: [] }) }).array;
    // Without variants and action results, the bytes end after the extensions.
    const cut = old.subarray(0, old.length - 2);
    expect(readAbiDef(cut).variants).toEqual([]);
    expect(readAbiDef(cut)).toEqual({ ...fromWharfkit(packed), variants: [] });
  });

  it("throws when the bytes end inside a section", () => {
    const packed = Serializer.encode({ object: WITH_EXTENSIONS }).array;
    for (const end of [0, 5, 20, Math.floor(packed.length / 2)]) expect(() => readAbiDef(packed.subarray(0, end))).toThrow();
  });
});
