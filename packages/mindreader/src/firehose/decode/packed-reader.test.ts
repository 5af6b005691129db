import { randomBytes } from "node:crypto";
import { Base58, Name, PrivateKey, Serializer } from "@wharfkit/antelope";
import { describe, expect, it } from "vitest";
import { base58 } from "./base58.js";
import { PackedEndError, PackedReader } from "./packed-reader.js";

describe("base58", () => {
  it("writes what wharfkit writes, leading zero bytes included", () => {
    const samples = [Buffer.alloc(0), Buffer.from([0]), Buffer.from([0, 0, 1]), Buffer.from([255])];
    for (let i = 0; i < 200; i++) samples.push(Buffer.concat([Buffer.alloc(i % 3), randomBytes(1 + (i % 70))]));
    for (const bytes of samples) expect(base58(bytes)).toBe(Base58.encode(bytes));
  });
});

describe("PackedReader", () => {
  it("reads keys, signatures and names as wharfkit prints them", () => {
    const key = PrivateKey.generate("K1");
    const signature = key.signDigest(Buffer.alloc(32, 7));
    const packed = Buffer.concat(
      [key.toPublic(), signature, Name.from("eosio.token")].map((object) => Serializer.encode({ object }).array),
    );
    const reader = new PackedReader(packed);
    expect(reader.publicKey()).toBe(key.toPublic().toLegacyString());
    expect(reader.signature()).toBe(String(signature));
    expect(reader.name()).toBe("eosio.token");
    expect(reader.left).toBe(0);
  });

  it("keeps 64-bit integers exact: numbers below 2^53, decimal text above", () => {
    const bytes = Buffer.alloc(24);
    bytes.writeBigUInt64LE(2n ** 53n - 1n, 0);
    bytes.writeBigUInt64LE(18446744073709551615n, 8);
    bytes.writeBigInt64LE(-(2n ** 60n), 16);
    const reader = new PackedReader(bytes);
    expect([reader.u64(), reader.u64(), reader.i64()]).toEqual([2 ** 53 - 1, "18446744073709551615", "-1152921504606846976"]);
  });

  it("stops at the end of its bytes, and a length prefix past the end is a cut, not an allocation", () => {
    expect(() => new PackedReader(Buffer.from([1, 2, 3])).u32()).toThrow(PackedEndError);
    expect(() => new PackedReader(Buffer.from([0xff, 0xff, 0xff, 0x0f])).bytesField()).toThrow(PackedEndError);
  });
});
