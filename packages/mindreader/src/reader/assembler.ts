import type { BlockMeta } from "../codec/block-meta.js";
import { MindreaderErrors } from "../errors.js";
import { decodeAcceptedLine } from "./accepted.js";
import { type DeepMindVersion, parseVersionLine } from "./version.js";

/** One block as nodeos printed it: its decoded header and every DMLOG line from START_BLOCK to the accepted line. */
export interface AssembledBlock {
  readonly meta: BlockMeta;
  readonly version: DeepMindVersion;
  readonly lines: readonly string[];
  /** Bytes of the lines, newlines included. */
  readonly size: number;
  /** When the accepted line was read, epoch milliseconds. */
  readonly receivedAt: number;
}

/** Why a block being assembled was thrown away. */
export type DropReason = "switch-fork" | "restarted" | "truncated" | "no-start";

/** Callbacks for what the assembler notices besides blocks. */
export interface AssemblerHooks {
  onVersion?(version: DeepMindVersion): void;
  onDrop?(num: number | undefined, reason: DropReason): void;
  onSwitchFork?(from: string, to: string): void;
}

interface Pending {
  readonly num: number;
  readonly lines: string[];
  size: number;
  truncated: boolean;
}

/** Groups DMLOG lines per block; tolerant of every operation it does not decode. */
export class BlockAssembler {
  private current: Pending | undefined;
  private dialect: DeepMindVersion | undefined;

  constructor(private readonly hooks: AssemblerHooks = {}) {}

  /** The version announced by DEEP_MIND_VERSION (or inferred), undefined before any. */
  get version(): DeepMindVersion | undefined {
    return this.dialect;
  }

  /** Takes one line (starting `DMLOG `); returns the block it completes, if any. Throws coded errors. */
  push(text: string, receivedAt: number, truncated = false): AssembledBlock | undefined {
    const kind = wordAt(text, 6);
    switch (kind) {
      case "DEEP_MIND_VERSION":
        this.dialect = parseVersionLine(text);
        this.hooks.onVersion?.(this.dialect);
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
    this.current = { num, lines: [], size: 0, truncated: false };
    this.append(text, truncated);
    return undefined;
  }

  private switchFork(text: string): undefined {
    const [, , from = "", to = ""] = text.split(" ");
    if (this.current !== undefined) this.hooks.onDrop?.(this.current.num, "switch-fork");
    this.current = undefined;
    this.hooks.onSwitchFork?.(from, to);
    return undefined;
  }

  private append(text: string, truncated: boolean): void {
    // Lines outside a block (ABIDUMP at startup, genesis operations) belong to no block file.
    if (this.current === undefined) return;
    this.current.lines.push(text);
    this.current.size += Buffer.byteLength(text) + 1;
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
      this.hooks.onDrop?.(pending?.num, "truncated");
      throw MindreaderErrors.lineTruncated(pending?.num);
    }
    const { meta, json } = decodeAcceptedLine(kind, text.slice(kind.length + 7));
    if (pending === undefined || pending.num !== meta.num) {
      // Started reading in the middle of a block: its operations are lost, so no file for it.
      this.hooks.onDrop?.(meta.num, "no-start");
      return undefined;
    }
    if (json && this.dialect === undefined) this.dialect = "legacy-json";
    pending.lines.push(text);
    pending.size += Buffer.byteLength(text) + 1;
    return {
      meta,
      version: this.dialect ?? (json ? "legacy-json" : "unversioned"),
      lines: pending.lines,
      size: pending.size,
      receivedAt,
    };
  }
}

// The word starting at `from`, up to the next space: the DMLOG operation name.
function wordAt(text: string, from: number): string {
  const end = text.indexOf(" ", from);
  return end < 0 ? text.slice(from) : text.slice(from, end);
}
