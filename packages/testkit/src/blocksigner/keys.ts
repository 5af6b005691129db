import { readFile } from "node:fs/promises";
import { KeyType, PrivateKey } from "@wharfkit/antelope";
import { TestkitErrors } from "../errors.js";

/** Parses WIF or PVT_K1_ private keys; throws TK_ERR_BAD_KEY on anything else. */
export function parseKeys(specs: readonly string[]): PrivateKey[] {
  return specs.map((spec) => {
    try {
      return PrivateKey.from(spec.trim());
    } catch (error) {
      throw TestkitErrors.badKey((error as Error).message, { cause: error });
    }
  });
}

/** Reads a keys file: a JSON array of keys, or one key per line (`#` comments allowed). */
export async function readKeysFile(path: string): Promise<PrivateKey[]> {
  const text = await readFile(path, "utf8");
  const trimmed = text.trim();
  if (trimmed.startsWith("[")) {
    const list = JSON.parse(trimmed) as unknown;
    if (!Array.isArray(list)) throw TestkitErrors.badKey(`${path} is not a list`);
    return parseKeys(list.map(String));
  }
  return parseKeys(
    trimmed
      .split(/\r?\n/)
      .map((l) => l.replace(/#.*/, "").trim())
      .filter((l) => l !== ""),
  );
}

/** A fresh K1 key, for a signer started without keys. */
export function generateKey(): PrivateKey {
  return PrivateKey.generate(KeyType.K1);
}
