import { Bytes, KeyType, PublicKey, Serializer, Signature } from "@wharfkit/antelope";
import { describe, expect, it } from "vitest";
import { linesOf } from "../../test/dmlog.js";
import { blockIdOf } from "./block-id.js";
import { LeapBlockState } from "./block-state.js";
import { buildLeapBlockState, buildSignedBlock } from "./build.js";
import { decodeBlockStateMeta, decodeLeapBlockState, decodeSpringBlockStateLegacy, encodeLeapBlockState } from "./leap.js";
import { readLegacyBlockStateMeta, readSignedBlockMeta } from "./packed-header.js";
import { decodeSignedBlock } from "./spring.js";
import { blockTimeIso } from "./time.js";

// What the full (wharfkit) decoder says about a block state: the reference the fast path must agree with.
function reference(state: LeapBlockState) {
  return {
    num: state.block_num.toNumber(),
    id: blockIdOf(state.header),
    previous: String(state.header.previous),
    timestamp: blockTimeIso(state.header.timestamp),
    producer: String(state.header.producer),
    lib: state.dpos_irreversible_blocknum.toNumber(),
    printedId: String(state.id),
  };
}

const KEY = "EOS5P52UyPoYL7vMiSREPvqxh6WebuMAunCMK4w53J7Gu6zmk4qyN";

// A webauthn key: the 33 key bytes, user presence, then the relying party id as a string.
function webauthnKey(): PublicKey {
  const rpid = Buffer.from("example.com");
  const data = Buffer.concat([PublicKey.from(KEY).data.array, Buffer.from([1, rpid.length]), rpid]);
  return new PublicKey(KeyType.WA, Bytes.from(data));
}

// A webauthn signature: the 65 compact bytes, then the authenticator data and the client JSON, each length-prefixed.
function webauthnSignature(): Signature {
  const auth = Buffer.alloc(37, 7);
  const json = Buffer.from('{"type":"webauthn.get"}');
  const data = Buffer.concat([Buffer.alloc(65, 1), Buffer.from([auth.length]), auth, Buffer.from([json.length]), json]);
  return new Signature(KeyType.WA, Bytes.from(data));
}

const K1_SIGNATURE = new Signature(KeyType.K1, Bytes.from(Buffer.alloc(65, 2)));

// A busy state: 21 producers (one with a webauthn key), a deep merkle, a schedule change and header extensions; past
// the header, a pending schedule, features, extra signatures (one webauthn) and a block with both kinds of receipt.
function busyState(): LeapBlockState {
  const block = buildSignedBlock({ previous: `00012345${"ab".repeat(28)}`, timeMs: Date.UTC(2025, 5, 1, 12, 0, 0, 500), producer: "bp.b" });
  const base = buildLeapBlockState(block, 70_000);
  const producers = Array.from({ length: 21 }, (_, i) => ({
    producer_name: `bp${String.fromCharCode(97 + i)}`,
    authority: ["block_signing_authority_v0", { threshold: 1, keys: [{ key: i === 7 ? webauthnKey() : KEY, weight: 1 }] }],
  }));
  const header = {
    ...Serializer.objectify(base.header),
    new_producers: {
      version: 3,
      producers: [
        { producer_name: "bp.c", block_signing_key: webauthnKey() },
        { producer_name: "bp.d", block_signing_key: KEY },
      ],
    },
    header_extensions: [
      { type: 1, data: "0102030405" },
      { type: 2, data: "" },
    ],
  };
  const state = LeapBlockState.from({
    ...Serializer.objectify(base),
    active_schedule: { version: 7, producers },
    blockroot_merkle: {
      _active_nodes: Array.from({ length: 17 }, (_, i) => `${String(i).padStart(2, "0")}${"cd".repeat(31)}`),
      _node_count: 74_564,
    },
    producer_to_last_produced: producers.map((p, i) => ({ key: p.producer_name, value: 74_000 + i })),
    producer_to_last_implied_irb: producers.map((p, i) => ({ key: p.producer_name, value: 73_000 + i })),
    confirm_count: [1, 2, 3, 4, 5],
    header,
    pending_schedule: { schedule_lib_num: 74_000, schedule_hash: "ef".repeat(32), schedule: { version: 8, producers } },
    activated_protocol_features: { protocol_features: ["12".repeat(32), "34".repeat(32)] },
    additional_signatures: [K1_SIGNATURE, webauthnSignature()],
    block: {
      ...Serializer.objectify(base.block!),
      transactions: [
        { status: 0, cpu_usage_us: 150, net_usage_words: 300, trx: ["checksum256", "56".repeat(32)] },
        {
          status: 0,
          cpu_usage_us: 99,
          net_usage_words: 200_000,
          trx: [
            "packed_transaction",
            {
              signatures: [K1_SIGNATURE, webauthnSignature()],
              compression: 0,
              packed_context_free_data: "00",
              packed_trx: "ab".repeat(700),
            },
          ],
        },
      ],
      block_extensions: [{ type: 3, data: "abcdef" }],
    },
  });
  // The printed id is the header's, as nodeos prints it.
  return LeapBlockState.from({ ...Serializer.objectify(state), id: blockIdOf(state.header) });
}

describe("fast header reading", () => {
  it("agrees with the full decoder on every leap 13 and spring legacy block state of the fixtures", () => {
    const lines = [
      ...linesOf("leap-13.dmlog", "ACCEPTED_BLOCK").map((fields) => ({ fields, decode: decodeLeapBlockState, layout: "leap" as const })),
      ...linesOf("spring-1.dmlog", "ACCEPTED_BLOCK").map((fields) => ({
        fields,
        decode: decodeSpringBlockStateLegacy,
        layout: "spring" as const,
      })),
    ];
    expect(lines.length).toBeGreaterThan(4);
    for (const { fields, decode, layout } of lines) {
      const hex = fields[3]!;
      const fast = readLegacyBlockStateMeta(Buffer.from(hex, "hex"), layout);
      expect(fast).toEqual(reference(decode(hex)));
      expect(fast.num).toBe(Number(fields[2]));
    }
  });

  it("agrees with the full decoder on every signed block of the spring fixture", () => {
    const lines = linesOf("spring-1.dmlog", "ACCEPTED_BLOCK_V2");
    expect(lines.length).toBeGreaterThan(10);
    for (const fields of lines) {
      const block = decodeSignedBlock(fields[5]!);
      expect(readSignedBlockMeta(Buffer.from(fields[5]!, "hex"))).toEqual({
        num: Number(fields[3]),
        id: fields[2],
        previous: String(block.previous),
        timestamp: blockTimeIso(block.timestamp),
        producer: String(block.producer),
      });
    }
  });

  it("skips 21 producers, webauthn keys and signatures, a schedule change, extensions and both kinds of receipt", () => {
    const state = busyState();
    expect(state.block?.transactions).toHaveLength(2);
    const hex = encodeLeapBlockState(state);
    const fast = readLegacyBlockStateMeta(Buffer.from(hex, "hex"), "leap");
    expect(fast).toEqual(reference(decodeLeapBlockState(hex)));
    expect(fast).toMatchObject({ num: 0x12346, lib: 70_000, producer: "bp.b", timestamp: "2025-06-01T12:00:00.500Z" });
    expect(decodeBlockStateMeta(hex, 0x12346).id).toBe(fast.printedId);
  });

  it("reads a block state to its last byte: a byte short or a byte over is not a block state", () => {
    const bytes = Buffer.from(encodeLeapBlockState(busyState()), "hex");
    expect(readLegacyBlockStateMeta(bytes, "leap").num).toBe(0x12346);
    // Cut anywhere past the header (the part a header-only reader never looked at), or with a byte added.
    for (const size of [bytes.length - 1, bytes.length - 40, 3000]) {
      expect(() => readLegacyBlockStateMeta(bytes.subarray(0, size), "leap")).toThrow(/past the end/);
    }
    expect(() => readLegacyBlockStateMeta(Buffer.concat([bytes, Buffer.from([0])]), "leap")).toThrow(/1 bytes left/);
    // spring's layout has one more (optional) field: a leap state is a byte short in it.
    expect(() => readLegacyBlockStateMeta(bytes, "spring")).toThrow(/past the end/);
  });
});
