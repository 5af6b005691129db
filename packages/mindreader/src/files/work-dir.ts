import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "@manageos/core";
import type { BundleParts, PartMember } from "./bundle-parts.js";
import type { BlockFileFormat } from "./format.js";
import { setAside } from "./local-file.js";

/** The work dir a previous run left, and how to tell its files. */
export interface WorkDirFound {
  /** The work dir: damaged files go to its `corrupt/`. */
  readonly dir: string;
  readonly format: BlockFileFormat;
  readonly logger: Logger;
}

/** Names of the files in `dir` that `keep` accepts, in order; incomplete ones are set aside in `corrupt/`. */
export async function intactFiles(dir: string, keep: (name: string) => boolean, found: WorkDirFound): Promise<string[]> {
  const names: string[] = [];
  for (const name of (await readdir(dir)).filter(keep).sort()) {
    const path = join(dir, name);
    const bytes = await readFile(path).catch(() => undefined);
    if (bytes !== undefined && (await found.format.isIntact(bytes))) {
      names.push(name);
      continue;
    }
    const moved = await setAside(path, join(found.dir, "corrupt"));
    found.logger.warn({ path: moved }, "incomplete block file left by a crash: set aside, not uploaded");
  }
  return names;
}

/** Parts of bundles a previous run was writing: their intact members, the rest cut off. */
export async function recoverParts(parts: BundleParts, logger: Logger): Promise<PartMember[]> {
  const members: PartMember[] = [];
  for (const bundle of await parts.list()) {
    const found = await parts.recover(bundle);
    if (found.cutBytes > 0) {
      logger.warn(
        { path: parts.path(bundle), kept: found.members.length, cutBytes: found.cutBytes },
        "end of a bundle being written left incomplete by a crash: cut off",
      );
    }
    members.push(...found.members);
  }
  return members;
}
