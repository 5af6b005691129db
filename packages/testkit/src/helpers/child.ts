import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { forgetCleanup, registerCleanup } from "./cleanup.js";

/** How a process ended. */
export interface ExitResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Options of waitForLine. */
export interface WaitOptions {
  readonly stream?: "stdout" | "stderr";
  readonly timeoutMs?: number;
  /** Only lines after the first `from` lines count. */
  readonly from?: number;
}

const MAX_LINES = 20_000;

/** True while a process with this pid exists (signal 0 touches nothing). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** A started simulator process: its lines, its exit, and ways to stop it. */
export class SimChild {
  readonly pid: number;
  readonly exited: Promise<ExitResult>;
  readonly stdoutLines: string[] = [];
  readonly stderrLines: string[] = [];
  private exit: ExitResult | undefined;
  private readonly waiters = new Set<() => void>();
  private readonly cleanup: () => Promise<unknown>;

  constructor(
    private readonly child: ChildProcess,
    readonly name: string,
  ) {
    if (child.pid === undefined) throw new Error(`${name} did not spawn`);
    this.pid = child.pid;
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
    // Lines arrive only after "exit" may have fired; waiters are woken by both.
    for (const [stream, lines] of [
      [child.stdout, this.stdoutLines],
      [child.stderr, this.stderrLines],
    ] as const) {
      if (stream === null) continue;
      const rl = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
      rl.on("line", (line) => {
        lines.push(line);
        if (lines.length > MAX_LINES) lines.splice(0, lines.length - MAX_LINES);
        this.wake();
      });
    }
    void this.exited.then(() => this.wake());
    this.cleanup = () => this.stop();
    registerCleanup(this.cleanup, () => {
      if (this.exit === undefined) process.kill(this.pid, "SIGKILL");
    });
  }

  /** Spawns `node <bin> ...args` with piped output. */
  static spawn(name: string, bin: string, args: readonly string[], env: NodeJS.ProcessEnv): SimChild {
    const child = spawn(process.execPath, [bin, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    return new SimChild(child, name);
  }

  /** The exit, once the process has exited. */
  get exitResult(): ExitResult | undefined {
    return this.exit;
  }

  /** Sends a signal (no-op once exited). */
  kill(signal: NodeJS.Signals = "SIGTERM"): void {
    if (this.exit === undefined) this.child.kill(signal);
  }

  /** SIGTERM, wait up to `timeoutMs`, then SIGKILL; resolves the exit. */
  async stop(timeoutMs = 15_000): Promise<ExitResult> {
    forgetCleanup(this.cleanup);
    if (this.exit !== undefined) return this.exit;
    this.kill("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((r) => {
      timer = setTimeout(() => r("timeout"), timeoutMs);
    });
    const first = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (first === "timeout") this.kill("SIGKILL");
    return this.exited;
  }

  /** Resolves the first line (after `from`) matching `re`; rejects on timeout or if the process exits first. */
  waitForLine(re: RegExp, opts: WaitOptions = {}): Promise<string> {
    const lines = opts.stream === "stdout" ? this.stdoutLines : this.stderrLines;
    let checked = opts.from ?? 0;
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const check = () => {
        for (; checked < lines.length; checked++) {
          const line = lines[checked]!;
          if (re.test(line)) return done(() => resolve(line));
        }
        if (this.exit !== undefined) {
          // Give readline a turn to deliver the last lines before giving up.
          setImmediate(() => {
            for (; checked < lines.length; checked++) if (re.test(lines[checked]!)) return done(() => resolve(lines[checked]!));
            done(() =>
              reject(new Error(`${this.name} exited (${this.exit?.code ?? this.exit?.signal}) before printing ${re}:\n${this.tail()}`)),
            );
          });
        }
      };
      const done = (fn: () => void) => {
        this.waiters.delete(check);
        clearTimeout(timer);
        fn();
      };
      timer = setTimeout(
        () => done(() => reject(new Error(`${this.name}: no line matching ${re} within ${opts.timeoutMs ?? 20_000} ms:\n${this.tail()}`))),
        opts.timeoutMs ?? 20_000,
      );
      this.waiters.add(check);
      check();
    });
  }

  /** The last lines of stderr, for error messages. */
  tail(n = 20): string {
    return this.stderrLines.slice(-n).join("\n");
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}
