/** One line of a supervised child's output. */
export interface LogLine {
  readonly stream: "stdout" | "stderr";
  /** The line without its newline; cut at the maximum line length when `truncated`. */
  readonly text: string;
  readonly truncated: boolean;
  /** Milliseconds since the epoch when the line was read from the pipe. */
  readonly receivedAt: number;
  /**
   * The reader is behind the child on this pipe (stderr): reads keep coming back full, so more is waiting and the
   * child's writes may block. A plugin whose work can be left out (logging the line) may drop it, counted.
   */
  readonly backlogged?: boolean;
  /**
   * The text of the pipe read the line was cut from, when the line lies wholly inside it (a read of ASCII); undefined
   * otherwise. Text absent from the read is absent from each of its lines: a plugin looking for a substring in every
   * line can search a read once (hundreds of lines) and skip the lines of a read that does not hold it.
   */
  readonly read?: string;
}

/** Something that reads the child's lines: level mapping, metrics, production state, mindreader. */
export interface LogPlugin {
  readonly name: string;
  /** True when the plugin may lose lines under pressure rather than hold the child back. */
  readonly lossy?: boolean;
  /** Which lines the plugin wants; all when absent. */
  accepts?(line: LogLine): boolean;
  /** Called in order for every accepted line; a returned promise is awaited before the next line. */
  handle(line: LogLine): void | Promise<void>;
  /** Called once when the child has exited and every line was handed over. */
  flush?(): void | Promise<void>;
}

/** How a supervised child ended. */
export interface ExitResult {
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  /** True when manageos had to SIGKILL it. */
  readonly killed: boolean;
  /** True when it did not end within the TERM policy's bounds before the kill. */
  readonly timedOut: boolean;
  /** True when manageos asked it to stop. */
  readonly requested: boolean;
}
