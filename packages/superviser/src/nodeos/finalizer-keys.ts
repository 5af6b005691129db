import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { SuperviserErrors } from "../errors/index.js";

/** One BLS finalizer key of this node (Spring): its public part, and the private part nodeos signs votes with. */
export interface FinalizerKey {
  readonly publicKey: string;
  readonly privateKey: string;
}

const PUB = /^PUB_BLS_[A-Za-z0-9_-]+$/;
const PVT = /^PVT_BLS_[A-Za-z0-9_-]+$/;

/**
 * Reads `PUB_BLS_...=PVT_BLS_...` pairs, one a line (`#` comments), from a file or from every file of a directory
 * (a mounted Kubernetes Secret: its `..data` entries and other dot files are skipped). Errors name the file and line,
 * never a private key.
 */
export async function readFinalizerKeys(path: string): Promise<FinalizerKey[]> {
  let files: string[];
  try {
    files = (await stat(path)).isDirectory()
      ? (await readdir(path, { withFileTypes: true }))
          .filter((e) => !e.name.startsWith(".") && !e.isDirectory())
          .map((e) => join(path, e.name))
          .sort()
      : [path];
  } catch (error) {
    throw SuperviserErrors.finalizerKeys(path, (error as NodeJS.ErrnoException).code ?? (error as Error).message, { cause: error });
  }
  const keys: FinalizerKey[] = [];
  const seen = new Set<string>();
  for (const file of files) {
    const text = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
      throw SuperviserErrors.finalizerKeys(file, error.code ?? error.message, { cause: error });
    });
    for (const [i, raw] of text.split(/\r?\n/).entries()) {
      const line = raw.replace(/#.*/, "").trim();
      if (line === "") continue;
      const eq = line.indexOf("=");
      const publicKey = line.slice(0, eq).trim();
      const privateKey = line.slice(eq + 1).trim();
      if (eq <= 0 || !PUB.test(publicKey) || !PVT.test(privateKey.replace(/^KEY:/, ""))) {
        throw SuperviserErrors.finalizerKeys(`${file}:${i + 1}`, "expected PUB_BLS_...=PVT_BLS_...");
      }
      if (seen.has(publicKey)) throw SuperviserErrors.finalizerKeys(`${file}:${i + 1}`, `${publicKey} is listed twice`);
      seen.add(publicKey);
      keys.push({ publicKey, privateKey: privateKey.replace(/^KEY:/, "") });
    }
  }
  if (keys.length === 0) throw SuperviserErrors.finalizerKeys(path, "no finalizer key in it");
  return keys;
}
