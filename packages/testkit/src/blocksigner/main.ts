import { writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { isManageosError } from "@manageos/core";
import { generateKey, parseKeys, readKeysFile } from "./keys.js";
import { createSignerServer } from "./server.js";

/** Runs the blocksigner simulator until SIGTERM/SIGINT; resolves the exit code. */
export async function runBlocksigner(argv: readonly string[]): Promise<number> {
  let values: ReturnType<typeof parse>;
  try {
    values = parse(argv);
  } catch (error) {
    process.stderr.write(`blocksigner-sim: ${(error as Error).message}\n`);
    return 2;
  }
  try {
    const keys = [...parseKeys(values.key ?? []), ...(values["keys-file"] === undefined ? [] : await readKeysFile(values["keys-file"]))];
    if (keys.length === 0) {
      const key = generateKey();
      keys.push(key);
      process.stderr.write(`blocksigner-sim: no key given, generated ${key.toPublic().toLegacyString()}\n`);
    }
    const format = values["key-format"] === "k1" ? "k1" : "legacy";
    const server = createSignerServer(keys, format, (pub) => process.stderr.write(`blocksigner-sim: signed digest with ${pub}\n`));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(Number(values.port ?? "6666"), values.host ?? "127.0.0.1", () => resolve());
    });
    const addr = server.address() as AddressInfo;
    const pubs = keys.map((k) => (format === "legacy" ? k.toPublic().toLegacyString() : k.toPublic().toString()));
    if (values["port-file"] !== undefined) await writeFile(values["port-file"], `${addr.port}\n`);
    process.stderr.write(`blocksigner-sim: listening on http://${addr.address}:${addr.port} keys: ${pubs.join(",")}\n`);
    await new Promise<void>((resolve) => {
      for (const s of ["SIGTERM", "SIGINT"] as const) process.once(s, () => resolve());
    });
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return 0;
  } catch (error) {
    process.stderr.write(`blocksigner-sim: ${isManageosError(error) ? `${error.code}: ${error.message}` : String(error)}\n`);
    return 1;
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    options: {
      key: { type: "string", multiple: true },
      "keys-file": { type: "string" },
      port: { type: "string" },
      host: { type: "string" },
      "port-file": { type: "string" },
      "key-format": { type: "string" },
    },
    strict: true,
    allowPositionals: false,
  }).values;
}
