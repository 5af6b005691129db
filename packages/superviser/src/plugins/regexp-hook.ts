import type { LogLine, LogPlugin } from "@manageos/core";

/** Called with the match and the line. */
export type MatchHandler = (match: RegExpExecArray, line: LogLine) => void;

interface Hook {
  regex: RegExp;
  fn: MatchHandler;
  contains: string | undefined;
  stream: LogLine["stream"] | undefined;
}

/** Extra filters of a hook. */
export interface MatchOptions {
  /** A substring the line must contain before the regexp is tried (cheap pre-filter). */
  contains?: string;
  stream?: LogLine["stream"];
}

/** Runs callbacks on lines matching regexps: `hooks.onMatch(/Listening on (\S+)/, fn)`. */
export class RegexpHookPlugin implements LogPlugin {
  readonly name: string;
  private hooks: Hook[] = [];

  constructor(name = "regexp-hook") {
    this.name = name;
  }

  /** Registers a hook; returns a function that removes it. */
  onMatch(regex: RegExp, fn: MatchHandler, opts: MatchOptions = {}): () => void {
    const hook: Hook = { regex, fn, contains: opts.contains, stream: opts.stream };
    this.hooks = [...this.hooks, hook];
    return () => {
      this.hooks = this.hooks.filter((h) => h !== hook);
    };
  }

  /** Resolves with the first match of a later line (tests, readiness waits). */
  waitFor(regex: RegExp, opts: MatchOptions = {}): Promise<RegExpExecArray> {
    return new Promise((resolve) => {
      const off = this.onMatch(
        regex,
        (match) => {
          off();
          resolve(match);
        },
        opts,
      );
    });
  }

  /** Tries every hook on the line. */
  handle(line: LogLine): void {
    const hooks = this.hooks;
    for (let i = 0; i < hooks.length; i++) {
      const hook = hooks[i] as Hook;
      if (hook.stream !== undefined && hook.stream !== line.stream) continue;
      if (hook.contains !== undefined && !line.text.includes(hook.contains)) continue;
      hook.regex.lastIndex = 0;
      const match = hook.regex.exec(line.text);
      if (match !== null) hook.fn(match, line);
    }
  }
}
