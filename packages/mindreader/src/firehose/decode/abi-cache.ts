import { ABI, Serializer } from "@wharfkit/antelope";
import { readAbiDef } from "./abi-def.js";
import { AbiJson } from "./abi-json.js";
import { jsonValue } from "./json-value.js";

// One contract's ABI: compiled readers for the types they handle, and wharfkit's ABI, decoded from the same bytes
// the first time a type needs it.
class ContractAbi {
  private wharfkit: ABI | null | undefined;
  /** The same types compiled to plain readers, for the types they handle. */
  readonly fast: AbiJson;
  /** Action name to its struct type. */
  readonly actions: ReadonlyMap<string, string>;
  /** Table name to its row type. */
  readonly tables: ReadonlyMap<string, string>;

  /** `packed`: the abi_def it is read from (kept). Throws when it is not one. */
  constructor(readonly packed: Buffer) {
    const def = readAbiDef(packed);
    this.fast = new AbiJson(def);
    this.actions = new Map(def.actions.map((a) => [a.name, a.type]));
    this.tables = new Map(def.tables.map((t) => [t.name, t.type]));
  }

  /** wharfkit's ABI of the same bytes; null when wharfkit cannot decode them. */
  get abi(): ABI | null {
    if (this.wharfkit === undefined) {
      try {
        this.wharfkit = Serializer.decode({ data: this.packed, type: ABI });
      } catch {
        this.wharfkit = null;
      }
    }
    return this.wharfkit;
  }
}

/**
 * The contracts' ABIs as the chain has them so far: loaded from ABIDUMP at startup and replaced by each
 * successful `eosio::setabi`, so that a change applies to the actions that follow it.
 */
export class AbiCache {
  private readonly contracts = new Map<string, ContractAbi>();

  /**
   * Sets `account`'s ABI from its packed `abi_def`; an empty or undecodable one removes it. Says whether that
   * changed anything (setting the same ABI again does not).
   */
  setPacked(account: string, packed: Uint8Array): boolean {
    const current = this.contracts.get(account);
    if (current !== undefined && Buffer.compare(current.packed, packed) === 0) return false;
    if (packed.length === 0) return this.contracts.delete(account);
    try {
      this.contracts.set(account, new ContractAbi(Buffer.from(packed)));
    } catch {
      // An ABI nodeos accepted but that does not decode here: its actions keep raw data only.
      this.contracts.delete(account);
    }
    return true;
  }

  /** Forgets every ABI (a new ABIDUMP follows). */
  clear(): void {
    this.contracts.clear();
  }

  has(account: string): boolean {
    return this.contracts.has(account);
  }

  /** The packed abi_def `account` has now, undefined without one. */
  packedOf(account: string): Buffer | undefined {
    return this.contracts.get(account)?.packed;
  }

  /** Action data as JSON with the contract's ABI; "" when there is no ABI, no such action, or it does not decode. */
  actionJson(account: string, action: string, data: Uint8Array): string {
    const contract = this.contracts.get(account);
    const type = contract?.actions.get(action);
    return contract === undefined || type === undefined ? "" : fastJson(contract, type, data);
  }

  /** A table row as JSON with the contract's ABI; "" when it cannot be decoded. */
  rowJson(code: string, table: string, data: Uint8Array): string {
    const contract = this.contracts.get(code);
    const type = contract?.tables.get(table);
    return contract === undefined || type === undefined || data.length === 0 ? "" : fastJson(contract, type, data);
  }
}

// The compiled readers when they handle the type (the same JSON as wharfkit's, several times faster), else wharfkit.
function fastJson(contract: ContractAbi, type: string, data: Uint8Array): string {
  try {
    return contract.fast.json(type, data) ?? decodeJson(contract.abi, type, data);
  } catch {
    return "";
  }
}

function decodeJson(abi: ABI | null, type: string, data: Uint8Array): string {
  if (abi === null) return "";
  try {
    const value = Serializer.decode({ data, abi, type, strictExtensions: false });
    return JSON.stringify(jsonValue(value));
  } catch {
    return "";
  }
}
