import type { BlockMeta } from "../codec/block-meta.js";
import { decodeBlockStateMeta, type LegacyStateLayout } from "../codec/leap.js";
import { decodeLegacyJsonMeta } from "../codec/legacy-json.js";
import { decodeSignedBlockMeta } from "../codec/spring.js";
import { MindreaderErrors } from "../errors.js";
import type { DeepMindVersion } from "./version.js";

/** A decoded accepted-block line and the dialect it was written in. */
export interface AcceptedBlock {
  readonly meta: BlockMeta;
  readonly json: boolean;
}

// `ACCEPTED_BLOCK_V2 <id> <num> <lib> <block> <finality data> <proposer policy> <finalizer policy>`.
const V2_FIELDS = 7;

/**
 * Decodes `ACCEPTED_BLOCK <num> <hex|json>` or `ACCEPTED_BLOCK_V2 <id> <num> <lib> <hex> ...` (without `DMLOG `),
 * written under `version` (the stream's DEEP_MIND_VERSION): hex blocks need one, JSON ones do not. Refuses a line
 * cut short (MDR_ERR_BLOCK_INCOMPLETE) and a LIB ahead of its block (MDR_ERR_LIB_AHEAD).
 */
export function decodeAcceptedLine(
  kind: "ACCEPTED_BLOCK" | "ACCEPTED_BLOCK_V2",
  rest: string,
  version: DeepMindVersion | undefined,
): AcceptedBlock {
  if (kind === "ACCEPTED_BLOCK_V2") {
    const fields = rest.split(" ");
    if (fields.length < V2_FIELDS) {
      throw MindreaderErrors.blockIncomplete(`ACCEPTED_BLOCK_V2 ${fields[1] ?? "?"}`, `${fields.length} fields, want ${V2_FIELDS}`);
    }
    const num = number(fields[1]!, "ACCEPTED_BLOCK_V2 num");
    hexLayout(version, num);
    const meta = decodeSignedBlockMeta({
      id: fields[0]!,
      num,
      lib: number(fields[2]!, "ACCEPTED_BLOCK_V2 lib"),
      block: fields[3]!,
      rest: fields.slice(4),
    });
    return { meta: libChecked(meta), json: false };
  }
  const space = rest.indexOf(" ");
  if (space < 0) throw MindreaderErrors.blockIncomplete(`ACCEPTED_BLOCK ${rest.slice(0, 20)}`, "no payload");
  const num = number(rest.slice(0, space), "ACCEPTED_BLOCK num");
  const payload = rest.slice(space + 1);
  if (payload.startsWith("{")) return { meta: libChecked(decodeLegacyJsonMeta(payload, num)), json: true };
  return { meta: libChecked(decodeBlockStateMeta(payload, num, hexLayout(version, num))), json: false };
}

// The block state layout of a hex block; a stream that has not said its version cannot have one.
function hexLayout(version: DeepMindVersion | undefined, num: number): LegacyStateLayout {
  if (version === "leap-13") return "leap";
  if (version === "spring-1") return "spring";
  throw MindreaderErrors.deepMindVersionMissing(num);
}

function libChecked(meta: BlockMeta): BlockMeta {
  if (meta.lib > meta.num) throw MindreaderErrors.libAhead(meta.num, meta.lib);
  return meta;
}

function number(text: string, what: string): number {
  if (!/^\d+$/.test(text)) throw MindreaderErrors.decode(what, `${JSON.stringify(text.slice(0, 20))} is not a number`);
  return Number(text);
}
