import { TestkitErrors } from "../errors.js";
import { BLOCKSIGNER_SIM_BIN } from "./bins.js";
import { SimChild } from "./child.js";

/** Options of startBlocksignerSim. */
export interface BlocksignerSimOptions {
  /** WIF or PVT_K1_ private keys; one is generated when none is given. */
  keys?: readonly string[];
  keysFile?: string;
  /** Default 0 (any free port). */
  port?: number;
  keyFormat?: "legacy" | "k1";
  startTimeoutMs?: number;
}

/** A running blocksigner-sim. */
export interface BlocksignerSim {
  readonly pid: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** The public keys it serves, as get_public_keys lists them. */
  readonly publicKeys: readonly string[];
  /** The URL to put after `KEOSD:` in a signature-provider line. */
  readonly signDigestUrl: string;
  readonly process: SimChild;
  readonly exited: SimChild["exited"];
  stop(timeoutMs?: number): ReturnType<SimChild["stop"]>;
  kill(signal?: NodeJS.Signals): void;
}

const LISTENING = /listening on (http:\/\/\S+) keys: (\S+)$/;

/** Starts blocksigner-sim as a real process; stopped and reaped after the test. */
export async function startBlocksignerSim(opts: BlocksignerSimOptions = {}): Promise<BlocksignerSim> {
  const args = ["--port", String(opts.port ?? 0)];
  for (const k of opts.keys ?? []) args.push("--key", k);
  if (opts.keysFile !== undefined) args.push("--keys-file", opts.keysFile);
  if (opts.keyFormat !== undefined) args.push("--key-format", opts.keyFormat);
  const child = SimChild.spawn("blocksigner-sim", BLOCKSIGNER_SIM_BIN, args, process.env);
  let m: RegExpExecArray;
  try {
    m = LISTENING.exec(await child.waitForLine(LISTENING, { timeoutMs: opts.startTimeoutMs ?? 30_000 }))!;
  } catch (error) {
    await child.stop();
    throw TestkitErrors.simStartFailed("blocksigner-sim", (error as Error).message, { cause: error });
  }
  const url = m[1]!;
  return {
    pid: child.pid,
    url,
    publicKeys: m[2]!.split(","),
    signDigestUrl: `${url}/v1/wallet/sign_digest`,
    process: child,
    exited: child.exited,
    stop: (timeoutMs) => child.stop(timeoutMs),
    kill: (signal) => child.kill(signal),
  };
}
