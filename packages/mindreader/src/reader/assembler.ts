import { isManageosError } from "@manageos/core";
import type { BlockMeta } from "../codec/block-meta.js";
import { MindreaderErrors } from "../errors.js";
import { decodeAcceptedLine } from "./accepted.js";
import { BlockBytes, linesOfBytes } from "./block-bytes.js";
import { type DeepMindVersion, parseVersionLine } from "./version.js";

/** One block as nodeos printed it: its decoded header and every DMLOG line from START_BLOCK to the accepted line. */
export interface AssembledBlock {
  readonly meta: BlockMeta;
  readonly version: DeepMindVersion;
  /** The lines, decoded from `bytes` when first asked for. */
  readonly lines: readonly string[];
  /** The lines as UTF-8, each followed by a newline; shared memory, never written to again. */
  readonly bytes: Buffer;
  /** Bytes of the lines, newlines included. */
  readonly size: number;
  /** When the accepted line was read, epoch milliseconds. */
  readonly receivedAt: number;
  /**
   * With `keepContext`: the lines read outside any block since the block before (DEEP_MIND_VERSION, ABIDUMP), each
   * followed by a newline, which a decoder keeping the contracts' ABIs reads before this block.
   */
  readonly context?: Buffer;
}

/** Why a block being assembled can be thrown away. */
export const DROP_REASONS = ["switch-fork", "restarted", "truncated", "no-start", "incomplete"] as const;

/** Why a block being assembled was thrown away. */
export type DropReason = (typeof DROP_REASONS)[number];

/** Callbacks for what the assembler notices besides blocks. */
export interface AssemblerHooks {
  /** `line`: the version line as nodeos printed it. */
  onVersion?(version: DeepMindVersion, line: string): void;
  onDrop?(num: number | undefined, reason: DropReason): void;
  onSwitchFork?(from: string, to: string): void;
}

/** What the assembler keeps besides blocks. */
export interface AssemblerOptions {
  /** Keep the version and ABIDUMP lines for the next block's `context`. */
  readonly keepContext?: boolean;
}

interface Pending {
  readonly num: number;
  truncated: boolean;
}

// An assembled block whose lines are decoded from its bytes only when someone reads them.
class Block implements AssembledBlock {
  private decoded: string[] | undefined;

  constructor(
    readonly meta: BlockMeta,
    readonly version: DeepMindVersion,
    readonly bytes: Buffer,
    readonly receivedAt: number,
    readonly context: Buffer | undefined,
  ) {}

  get size(): number {
    return this.bytes.length;
  }

  get lines(): readonly string[] {
    this.decoded ??= linesOfBytes(this.bytes);
    return this.decoded;
  }
}

/** Groups DMLOG lines per block; tolerant of every operation it does not decode. */
export class BlockAssembler {
  private current: Pending | undefined;
  private readonly bytes = new BlockBytes();
  private dialect: DeepMindVersion | undefined;
  private context: string[] = [];

  constructor(
    private readonly hooks: AssemblerHooks = {},
    private readonly opts: AssemblerOptions = {},
  ) {}

  /** The version announced by DEEP_MIND_VERSION (or inferred), undefined before any. */
  get version(): DeepMindVersion | undefined {
    return this.dialect;
  }

  /** The node's output ended: its next start announces its version again. */
  endRun(): void {
    this.dialect = undefined;
  }

  /** Takes one line (starting `DMLOG `); returns the block it completes, if any. Throws coded errors. */
  push(text: string, receivedAt: number, truncated = false): AssembledBlock | undefined {
    const kind = wordAt(text, 6);
    switch (kind) {
      case "DEEP_MIND_VERSION":
        this.dialect = parseVersionLine(text);
        this.hooks.onVersion?.(this.dialect, text);
        if (this.opts.keepContext === true) this.context.push(text);
        return undefined;
      case "ABIDUMP":
        if (this.opts.keepContext === true && this.current === undefined) this.context.push(text);
        this.append(text, truncated);
        return undefined;
      case "START_BLOCK":
        return this.start(text, truncated);
      case "SWITCH_FORK":
        return this.switchFork(text);
      case "ACCEPTED_BLOCK":
      case "ACCEPTED_BLOCK_V2":
        return this.accept(kind, text, receivedAt, truncated);
      default:
        this.append(text, truncated);
        return undefined;
    }
  }

  private start(text: string, truncated: boolean): undefined {
    if (this.current !== undefined) this.hooks.onDrop?.(this.current.num, "restarted");
    const num = Number(text.slice("DMLOG START_BLOCK ".length).trim());
    this.bytes.discard();
    this.current = { num, truncated: false };
    this.append(text, truncated);
    return undefined;
  }

  private switchFork(text: string): undefined {
    const [, , from = "", to = ""] = text.split(" ");
    if (this.current !== undefined) this.hooks.onDrop?.(this.current.num, "switch-fork");
    this.current = undefined;
    this.bytes.discard();
    this.hooks.onSwitchFork?.(from, to);
    return undefined;
  }

  private append(text: string, truncated: boolean): void {
    // Lines outside a block (ABIDUMP at startup, genesis operations) belong to no block file.
    if (this.current === undefined) return;
    this.bytes.append(text);
    this.current.truncated ||= truncated;
  }

  private accept(
    kind: "ACCEPTED_BLOCK" | "ACCEPTED_BLOCK_V2",
    text: string,
    receivedAt: number,
    truncated: boolean,
  ): AssembledBlock | undefined {
    const pending = this.current;
    this.current = undefined;
    if (truncated || pending?.truncated === true) {
      this.bytes.discard();
      this.hooks.onDrop?.(pending?.num, "truncated");
      throw MindreaderErrors.lineTruncated(pending?.num);
    }
    let decoded: ReturnType<typeof decodeAcceptedLine>;
    try {
      decoded = decodeAcceptedLine(kind, text.slice(kind.length + 7), this.dialect);
    } catch (error) {
      this.bytes.discard();
      if (isManageosError(error) && error.code === MindreaderErrors.blockIncomplete.code) {
        this.hooks.onDrop?.(pending?.num, "incomplete");
      }
      throw error;
    }
    const { meta, json } = decoded;
    if (pending === undefined || pending.num !== meta.num) {
      this.bytes.discard();
      // Started reading in the middle of a block: its operations are lost, so no file for it.
      this.hooks.onDrop?.(meta.num, "no-start");
      return undefined;
    }
    if (json && this.dialect === undefined) this.dialect = "legacy-json";
    this.bytes.append(text);
    // Only JSON blocks come without a version line, and they set the dialect above.
    const context = this.context.length === 0 ? undefined : Buffer.from(`${this.context.join("\n")}\n`);
    this.context = [];
    return new Block(meta, this.dialect ?? "legacy-json", this.bytes.finish(), receivedAt, context);
  }
}

// The word starting at `from`, up to the next space: the DMLOG operation name.
function wordAt(text: string, from: number): string {
  const end = text.indexOf(" ", from);
  return end < 0 ? text.slice(from) : text.slice(from, end);
}
