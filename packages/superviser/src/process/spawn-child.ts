import type { ChildProcess } from "node:child_process";
import { execa } from "execa";
import { SuperviserErrors } from "../errors/index.js";

/** What to run. */
export interface LaunchSpec {
  command: string;
  args: readonly string[];
  cwd?: string;
  /** Added to (and overriding) the parent's environment. */
  env?: Record<string, string>;
}

/** A running child with its pipes. */
export type Child = ChildProcess;

/** How a child process ended, as Node reports it. */
export interface RawExit {
  exitCode: number | undefined;
  signal: string | undefined;
}

/** Starts a child in its own process group, pipes read raw (no buffering by execa). */
export async function spawnChild(spec: LaunchSpec): Promise<{ child: Child; exited: Promise<RawExit> }> {
  const subprocess = execa(spec.command, [...spec.args], {
    cwd: spec.cwd,
    env: spec.env ?? {},
    extendEnv: true,
    detached: true,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    buffer: false,
    reject: false,
    // Our own terminate policy decides when to escalate, never execa's timer.
    forceKillAfterDelay: false,
    cleanup: false,
  });
  // Since execa 10 the subprocess is a promise; the Node child process (events, pipes, pid) is beside it.
  const child = subprocess.nodeChildProcess;
  const exited = new Promise<RawExit>((resolve) => {
    child.once("exit", (code, signal) => resolve({ exitCode: code ?? undefined, signal: signal ?? undefined }));
  });
  if (child.pid === undefined) {
    const result = await subprocess;
    throw SuperviserErrors.spawn(
      spec.command,
      result.cause instanceof Error ? result.cause.message : (result.shortMessage ?? "unknown error"),
      {
        cause: result.cause,
      },
    );
  }
  // Exit is read from the 'exit' event; the promise only has to be consumed.
  void subprocess.then(
    () => undefined,
    () => undefined,
  );
  return { child, exited };
}
