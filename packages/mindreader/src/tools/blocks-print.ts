import { readFile } from "node:fs/promises";
import { openStore } from "@manageos/core";
import { readBlockFile } from "./read-block-file.js";

/** Where a tool writes. */
export interface ToolIo {
  out(text: string): void;
  err(text: string): void;
}

/**
 * `blocks print <file>`: every block of a one-block file or a bundle as one JSON line. `file` is a local path or an
 * object's URL in a block store (`file:///…/merged-blocks/0000000100.dbin.zst`, `gs://bucket/…`).
 */
export async function printBlocks(file: string, io: ToolIo): Promise<number> {
  const bytes = await readObject(file);
  for (const block of await readBlockFile(bytes, file)) io.out(`${JSON.stringify(block.json())}\n`);
  return 0;
}

// A local file, or an object of a store named by its URL.
async function readObject(file: string): Promise<Uint8Array> {
  if (!/^(file|gs):\/\//.test(file)) return readFile(file);
  const slash = file.lastIndexOf("/");
  return openStore(file.slice(0, slash)).getBytes(file.slice(slash + 1));
}
