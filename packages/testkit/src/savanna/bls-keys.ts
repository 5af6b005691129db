import { createHash, randomBytes } from "node:crypto";

// No BLS12-381 library is among the project's dependencies, so finalizer keys are opaque strings in Spring's
// layout (`PUB_BLS_` + base64url of 96 bytes, `PVT_BLS_` + base64url of 32 bytes, `SIG_BLS_` + base64url of 192
// bytes) whose relation the simulator defines: the public key is derived from the private one by hashing, and the
// proof of possession from the public key. They are well-formed to the eye and to manageos, not real BLS keys.
const PUB_PREFIX = "PUB_BLS_";
const PVT_PREFIX = "PVT_BLS_";
const SIG_PREFIX = "SIG_BLS_";
const B64URL = /^[A-Za-z0-9_-]+$/;

/** A simulated BLS finalizer key pair with its proof of possession and its signature-provider line value. */
export interface FinalizerKey {
  readonly publicKey: string;
  readonly privateKey: string;
  readonly proofOfPossession: string;
  /** `PUB_BLS_...=KEY:PVT_BLS_...`, the value of a `signature-provider` line. */
  readonly signatureProvider: string;
}

function expand(tag: string, input: string | Buffer, bytes: number): Buffer {
  const out: Buffer[] = [];
  for (let i = 0; out.length * 32 < bytes; i++) out.push(createHash("sha256").update(`${tag}:${i}:`).update(input).digest());
  return Buffer.concat(out).subarray(0, bytes);
}

/** The public key the simulator pairs with a `PVT_BLS_` private key: `PUB_BLS_` + base64url(96 bytes of sha256("bls-pub:i:" + key)). */
export function blsPublicKeyOf(privateKey: string): string {
  return PUB_PREFIX + expand("bls-pub", privateKey, 96).toString("base64url");
}

/** The proof of possession the simulator expects with a public key: `SIG_BLS_` + base64url(192 bytes of sha256("bls-pop:i:" + key)). */
export function blsProofOfPossession(publicKey: string): string {
  return SIG_PREFIX + expand("bls-pop", publicKey, 192).toString("base64url");
}

/** True for a `PUB_BLS_<base64url>` string. */
export function isBlsPublicKey(key: string): boolean {
  return key.startsWith(PUB_PREFIX) && B64URL.test(key.slice(PUB_PREFIX.length));
}

/** True for a `PVT_BLS_<base64url>` string. */
export function isBlsPrivateKey(key: string): boolean {
  return key.startsWith(PVT_PREFIX) && B64URL.test(key.slice(PVT_PREFIX.length));
}

/** A fresh simulated finalizer key, for tests and cluster set-ups. */
export function generateFinalizerKey(): FinalizerKey {
  const privateKey = PVT_PREFIX + randomBytes(32).toString("base64url");
  const publicKey = blsPublicKeyOf(privateKey);
  return { publicKey, privateKey, proofOfPossession: blsProofOfPossession(publicKey), signatureProvider: `${publicKey}=KEY:${privateKey}` };
}
