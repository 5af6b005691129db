import { PackedReader } from "./packed-reader.js";

/** The parts of an ABI that decoding reads: type names as the ABI spells them, action and table names as text. */
export interface AbiTypes {
  readonly types: ReadonlyArray<{ readonly new_type_name: string; readonly type: string }>;
  readonly structs: ReadonlyArray<{
    readonly name: string;
    readonly base: string;
    readonly fields: ReadonlyArray<{ readonly name: string; readonly type: string }>;
  }>;
  readonly variants: ReadonlyArray<{ readonly name: string; readonly types: readonly string[] }>;
}

/** A packed `abi_def`, read for decoding: its types, and the struct types of its actions and tables. */
export interface AbiDef extends AbiTypes {
  readonly version: string;
  readonly actions: ReadonlyArray<{ readonly name: string; readonly type: string }>;
  readonly tables: ReadonlyArray<{ readonly name: string; readonly type: string }>;
}

/**
 * Reads a packed `abi_def` (as setabi and ABIDUMP carry it): version, types, structs, actions, tables, ricardian
 * clauses, error messages, extensions, then the binary extensions variants and action_results when present. Bytes
 * after them are left, as nodeos leaves them. Throws when the bytes end inside a field.
 */
export function readAbiDef(packed: Uint8Array): AbiDef {
  const r = new PackedReader(Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength));
  const version = r.string();
  const types = r.array(() => ({ new_type_name: r.string(), type: r.string() }));
  const structs = r.array(() => ({
    name: r.string(),
    base: r.string(),
    fields: r.array(() => ({ name: r.string(), type: r.string() })),
  }));
  const actions = r.array(() => {
    const action = { name: r.name(), type: r.string() };
    r.skip(r.count()); // ricardian_contract
    return action;
  });
  const tables = r.array(() => {
    const name = r.name();
    r.skip(r.count()); // index_type
    r.array(() => r.skip(r.count())); // key_names
    r.array(() => r.skip(r.count())); // key_types
    return { name, type: r.string() };
  });
  r.array(() => {
    r.skip(r.count()); // ricardian clause id
    r.skip(r.count()); // and body
  });
  r.array(() => {
    r.skip(8); // error_code
    r.skip(r.count()); // error_msg
  });
  r.array(() => {
    r.skip(2); // tag
    r.skip(r.count()); // value
  });
  const variants = r.left === 0 ? [] : r.array(() => ({ name: r.string(), types: r.array(() => r.string()) }));
  return { version, types, structs, actions, tables, variants };
}
