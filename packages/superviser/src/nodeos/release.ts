import { execa } from "execa";
import { SuperviserErrors } from "../errors/index.js";

/** The nodeos line a binary belongs to: Spring 1.x (Savanna finality) or leap (3 to 5, and EOSIO 2.x before it). */
export type NodeosRelease = "spring" | "leap";

/** What `nodeos --version` said, and the line it means. */
export interface NodeosVersion {
  readonly version: string;
  readonly release: NodeosRelease;
}

/** `v1.2.2` is Spring; every other `vN.` (EOSIO 2.x, leap 3 to 5) takes leap's options. */
export function releaseOf(version: string): NodeosRelease {
  return /^v?1\./.test(version.trim()) ? "spring" : "leap";
}

/** Runs `<binary> --version` (with the node's environment) and reads the release from it. */
export async function detectRelease(binary: string, env: Record<string, string>, timeoutMs = 15_000): Promise<NodeosVersion> {
  let stdout: string;
  try {
    ({ stdout } = await execa(binary, ["--version"], { env: { ...process.env, ...env }, timeout: timeoutMs, stdin: "ignore" }));
  } catch (error) {
    throw SuperviserErrors.version(binary, (error as Error).message.split("\n")[0] ?? "failed", { cause: error });
  }
  const version = stdout.trim().split(/\s+/)[0] ?? "";
  if (!/^v?\d+\.\d+/.test(version)) throw SuperviserErrors.version(binary, `answered ${JSON.stringify(stdout.trim().slice(0, 80))}`);
  return { version, release: releaseOf(version) };
}

// Options one line has and the other refuses: nodeos exits at once on an option it does not know.
const ONLY: Record<NodeosRelease, readonly string[]> = {
  spring: ["vote-threads", "finalizers-dir", "finality-data-history"],
  leap: ["producer-threads"],
};

/** Why a config.ini key cannot go to this release, or undefined when it can. */
export function refusedOption(key: string, release: NodeosRelease): string | undefined {
  const other: NodeosRelease = release === "spring" ? "leap" : "spring";
  if (!ONLY[other].includes(key)) return undefined;
  return release === "spring"
    ? `${key} was removed in Spring 1.x, which refuses to start with it (block production is single-threaded; votes use vote-threads)`
    : `${key} exists only in Spring 1.x; this nodeos (leap) refuses to start with it`;
}
