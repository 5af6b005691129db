import { type Level, type Logger, symbols } from "pino";
import { logOutputOf } from "./logger.js";
import type { LogOutput } from "./log-output.js";
import { isoTimeAt, isoTimeCached } from "./log-time.js";

/** Writes another program's lines as its logger would, at the cost of a string join. */
export interface LineWriter {
  /**
   * Writes exactly what `logger[level](text)` writes (with `{ truncated: true }` first when `truncated`), stamped
   * with `timeMs` (when the line was read) instead of the clock read per call. The caller checks the level.
   */
  write(level: Level, text: string, timeMs: number, truncated: boolean): void;
}

type Internals = Record<symbol, unknown> & { levels: { values: Record<string, number> } };

/**
 * A LineWriter for a logger made by createLogger (known by its time function) for JSON on a LogOutput; undefined for
 * any other logger (pretty, another destination, pino made elsewhere, a child with a message prefix, redaction or a
 * serializer of `msg` or `truncated`), which then logs through pino as before. A burst of the node's
 * output is millions of lines: pino's per-call work (arguments, the merging object, its keys, the clock) costs more
 * than the line's own JSON, and every line here has the same shape.
 */
export function lineWriterOf(logger: Logger): LineWriter | undefined {
  const output = logOutputOf(logger);
  const l = logger as unknown as Internals;
  if (output === undefined || l[symbols.timeSym] !== isoTimeCached) return undefined;
  // pino has it at run time; its types leave it out.
  const msgPrefixSym = (symbols as unknown as Record<string, symbol>).msgPrefixSym as symbol;
  // createLogger's own options change no line; a child's message prefix, serializers or redaction would.
  const serializers = (l[symbols.serializersSym] ?? {}) as Record<string, unknown>;
  const stringifiers = (l[symbols.stringifiersSym] ?? {}) as Record<string | symbol, unknown>;
  if (
    l[msgPrefixSym] !== undefined ||
    serializers.msg !== undefined ||
    serializers.truncated !== undefined ||
    Reflect.ownKeys(stringifiers).length > 0
  ) {
    return undefined;
  }
  return new JsonLineWriter(output, l);
}

class JsonLineWriter implements LineWriter {
  // `{"level":"info"` (pino's cached level string) for each level.
  private readonly heads: Record<string, string> = {};
  private readonly tail: string;
  private readonly truncatedTail: string;
  private readonly end: string;

  constructor(
    private readonly output: LogOutput,
    logger: Internals,
  ) {
    const cache = logger[symbols.lsCacheSym] as Record<number, string>;
    for (const [label, num] of Object.entries(logger.levels.values)) this.heads[label] = cache[num] as string;
    const chindings = logger[symbols.chindingsSym] as string;
    this.tail = `${chindings},"msg":`;
    this.truncatedTail = `${chindings},"truncated":true,"msg":`;
    this.end = logger[symbols.endSym] as string;
  }

  write(level: Level, text: string, timeMs: number, truncated: boolean): void {
    this.output.write(
      (this.heads[level] as string) + isoTimeAt(timeMs) + (truncated ? this.truncatedTail : this.tail) + jsonString(text) + this.end,
    );
  }
}

/**
 * The JSON string pino writes for a message: JSON.stringify, but for a string of at most 100 characters holding a
 * lone surrogate, which pino's own escaping leaves as it is (and UTF-8 then writes as U+FFFD).
 */
function jsonString(text: string): string {
  if (text.length > 100 || text.isWellFormed()) return JSON.stringify(text);
  let escaped = "";
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 32) return JSON.stringify(text);
    if (c === 34 || c === 92) {
      escaped += `${text.slice(last, i)}\\`;
      last = i;
    }
  }
  return `"${escaped}${text.slice(last)}"`;
}
