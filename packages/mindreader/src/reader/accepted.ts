import type { BlockMeta } from "../codec/block-meta.js";
import { decodeBlockStateMeta } from "../codec/leap.js";
import { decodeLegacyJsonMeta } from "../codec/legacy-json.js";
import { decodeSignedBlockMeta } from "../codec/spring.js";
import { MindreaderErrors } from "../errors.js";

/** A decoded accepted-block line and the dialect it was written in. */
export interface AcceptedBlock {
  readonly meta: BlockMeta;
  readonly json: boolean;
}

/** Decodes `ACCEPTED_BLOCK <num> <hex|json>` or `ACCEPTED_BLOCK_V2 <id> <num> <lib> <hex> ...` (without `DMLOG `). */
export function decodeAcceptedLine(kind: "ACCEPTED_BLOCK" | "ACCEPTED_BLOCK_V2", rest: string): AcceptedBlock {
  if (kind === "ACCEPTED_BLOCK_V2") {
    const fields = rest.split(" ");
    if (fields.length < 4) throw MindreaderErrors.decode("ACCEPTED_BLOCK_V2", `${fields.length} fields, want 4 or more`);
    const meta = decodeSignedBlockMeta({
      id: fields[0]!,
      num: number(fields[1]!, "ACCEPTED_BLOCK_V2 num"),
      lib: number(fields[2]!, "ACCEPTED_BLOCK_V2 lib"),
      block: fields[3]!,
      rest: fields.slice(4),
    });
    return { meta, json: false };
  }
  const space = rest.indexOf(" ");
  if (space < 0) throw MindreaderErrors.decode("ACCEPTED_BLOCK", "no payload");
  const num = number(rest.slice(0, space), "ACCEPTED_BLOCK num");
  const payload = rest.slice(space + 1);
  if (payload.startsWith("{")) return { meta: decodeLegacyJsonMeta(payload, num), json: true };
  return { meta: decodeBlockStateMeta(payload, num), json: false };
}

function number(text: string, what: string): number {
  if (!/^\d+$/.test(text)) throw MindreaderErrors.decode(what, `${JSON.stringify(text.slice(0, 20))} is not a number`);
  return Number(text);
}
