import { MindreaderErrors } from "../../errors.js";
import {
  type HeaderRead,
  readBlockSigningAuthority,
  readProducerAuthoritySchedule,
  readSignedBlockBody,
  readSignedBlockHeader,
} from "./block-header.js";
import type { PackedReader } from "./packed-reader.js";
import { timestampFromSlot } from "./timestamps.js";
import { readWholeHex } from "./whole.js";

type Json = Record<string, unknown>;

/** The header facts of an accepted block and the protobuf fields it gives the Antelope block. */
export interface AcceptedRead {
  readonly num: number;
  readonly id: string;
  readonly previous: string;
  readonly lib: number;
  readonly timestampMs: number;
  readonly fields: Json;
}

/** `ACCEPTED_BLOCK <num> <hex block_state_legacy>`, in leap 13's layout or spring 1's (one more optional digest). */
export function readLegacyAccepted(body: string, layout: "leap" | "spring"): AcceptedRead {
  const space = body.indexOf(" ");
  const printed = Number(body.slice(0, space));
  const what = `ACCEPTED_BLOCK ${printed} block state`;
  if (space < 0) throw MindreaderErrors.blockIncomplete(what, "no block state after the number");
  if (body.charCodeAt(space + 1) === 0x7b) {
    throw MindreaderErrors.decode(what, "EOSIO 2.0's JSON deep-mind has no packed block state to make a Firehose block of");
  }
  return readWholeHex(body.slice(space + 1), what, (reader) => {
    const common = readLegacyCommon(reader);
    const printedId = reader.checksum256();
    const head = readSignedBlockHeader(reader);
    const pendingSchedule = {
      scheduleLibNum: reader.u32(),
      scheduleHash: reader.checksum256Bytes(),
      scheduleV2: readProducerAuthoritySchedule(reader),
    };
    const features = reader.optional(() => reader.array(() => reader.checksum256Bytes()));
    reader.array(() => reader.signature()); // additional_signatures: not in the Firehose model
    const block = reader.optional(() => {
      readSignedBlockHeader(reader);
      return readSignedBlockBody(reader);
    });
    const validated = reader.bool();
    const savanna = layout === "spring" ? reader.optional(() => reader.checksum256Bytes()) : undefined;
    check(head, printedId, common.num, printed, what);
    return {
      num: head.num,
      id: head.id,
      previous: head.previous,
      lib: common.lib,
      timestampMs: head.timestampMs,
      fields: {
        ...common.fields,
        header: head.header,
        producerSignature: head.producerSignature,
        pendingSchedule,
        ...(features === undefined ? {} : { activatedProtocolFeatures: { protocolFeatures: features } }),
        unfilteredTransactions: block?.transactions ?? [],
        blockExtensions: block?.blockExtensions ?? [],
        validated,
        ...(savanna === undefined ? {} : { actionMrootSavanna: savanna }),
      },
    };
  });
}

function check(head: HeaderRead, printedId: string, stateNum: number, printed: number, what: string): void {
  if (head.id !== printedId) throw MindreaderErrors.blockIdMismatch(head.num, head.id, printedId);
  if (head.num !== stateNum || head.num !== printed) {
    throw MindreaderErrors.decode(what, `the block state is block ${head.num}`);
  }
}

function readLegacyCommon(reader: PackedReader): { num: number; lib: number; fields: Json } {
  const num = reader.u32();
  const proposed = reader.u32();
  const lib = reader.u32();
  const activeSchedule = readProducerAuthoritySchedule(reader);
  const activeNodes = reader.array(() => reader.checksum256Bytes());
  const nodeCount = reader.u64();
  const lastProduced = reader.array(() => ({ name: reader.name(), lastBlockNumProduced: reader.u32() }));
  const lastImplied = reader.array(() => ({ name: reader.name(), lastBlockNumProduced: reader.u32() }));
  const authority = readBlockSigningAuthority(reader);
  const confirmCount = reader.array(() => reader.u8());
  return {
    num,
    lib,
    fields: {
      dposProposedIrreversibleBlocknum: proposed,
      dposIrreversibleBlocknum: lib,
      activeScheduleV2: activeSchedule,
      blockrootMerkle: { nodeCount: Number(nodeCount), activeNodes },
      producerToLastProduced: lastProduced,
      producerToLastImpliedIrb: lastImplied,
      validBlockSigningAuthorityV2: authority,
      confirmCount,
    },
  };
}

/** `ACCEPTED_BLOCK_V2 <id> <num> <lib> <signed_block> <finality data> <proposer policy> <finalizer policy>`. */
export function readV2Accepted(body: string): AcceptedRead {
  const parts = body.split(" ");
  const [printedId = "", numText = "", libText = "", blockHex = "", fd = "", pp = "", fp = ""] = parts;
  const what = `ACCEPTED_BLOCK_V2 ${numText}`;
  if (parts.length < 7) throw MindreaderErrors.blockIncomplete(what, `7 fields expected, ${parts.length} found`);
  const printedNum = Number(numText);
  const lib = Number(libText);
  const block = readWholeHex(blockHex, `${what} signed block`, (reader) => {
    const head = readSignedBlockHeader(reader);
    return { head, ...readSignedBlockBody(reader) };
  });
  const { head } = block;
  if (head.id !== printedId.toLowerCase()) throw MindreaderErrors.blockIdMismatch(head.num, head.id, printedId);
  if (head.num !== printedNum) throw MindreaderErrors.decode(what, `the signed block is block ${head.num}`);
  return {
    num: head.num,
    id: head.id,
    previous: head.previous,
    lib,
    timestampMs: head.timestampMs,
    fields: {
      header: head.header,
      producerSignature: head.producerSignature,
      unfilteredTransactions: block.transactions,
      blockExtensions: block.blockExtensions,
      validated: true,
      finalityLib: lib,
      finalityData: readWholeHex(fd, `${what} finality data`, readFinalityData),
      proposerPolicy: readWholeHex(pp, `${what} proposer policy`, readProposerPolicy),
      finalizerPolicy: readWholeHex(fp, `${what} finalizer policy`, readFinalizerPolicy),
    },
  };
}

function readFinalityData(reader: PackedReader): Json {
  return {
    majorVersion: reader.u32(),
    minorVersion: reader.u32(),
    activeFinalizerPolicyGeneration: reader.u32(),
    actionMroot: reader.checksum256Bytes(),
    reversibleBlocksMroot: reader.checksum256Bytes(),
    latestQcClaimBlockNum: reader.u32(),
    latestQcClaimFinalityDigest: reader.checksum256Bytes(),
    latestQcClaimTimestamp: timestampFromSlot(reader.u32()),
    baseDigest: reader.checksum256Bytes(),
    ...optionalField(
      "pendingFinalizerPolicy",
      reader.optional(() => readFinalizerPolicy(reader)),
    ),
    lastPendingFinalizerPolicyGeneration: reader.u32(),
  };
}

function optionalField(key: string, value: unknown): Json {
  return value === undefined ? {} : { [key]: value };
}

function readProposerPolicy(reader: PackedReader): Json {
  return { activeTime: timestampFromSlot(reader.u32()), proposerSchedule: readProducerAuthoritySchedule(reader) };
}

// `finalizer_policy_with_string_key`: deep-mind prints the BLS keys as text (PUB_BLS_...).
function readFinalizerPolicy(reader: PackedReader): Json {
  const generation = reader.u32();
  const threshold = reader.u64();
  const finalizers = reader.array(() => ({
    description: reader.string(),
    weight: reader.u64(),
    publicKey: reader.string(),
  }));
  return { generation, threshold, finalizers };
}
