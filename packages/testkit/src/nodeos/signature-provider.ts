import { PrivateKey } from "@wharfkit/antelope";
import { TestkitErrors } from "../errors.js";

/** Signs block digests for one public key: a local key (`KEY:`) or a keosd-compatible signer (`KEOSD:`). */
export interface SignatureProvider {
  readonly publicKey: string;
  readonly kind: "KEY" | "KEOSD";
  readonly url?: string;
  sign(digestHex: string): Promise<string>;
}

/** Parses `signature-provider = <PUBKEY>=KEY:<privkey>` / `<PUBKEY>=KEOSD:<url>`. */
export function parseSignatureProvider(spec: string, timeoutMs: number): SignatureProvider {
  const eq = spec.indexOf("=");
  const colon = spec.indexOf(":", eq);
  if (eq <= 0 || colon === -1) throw TestkitErrors.badOptionValue("signature-provider", spec);
  const publicKey = spec.slice(0, eq);
  const kind = spec.slice(eq + 1, colon);
  const rest = spec.slice(colon + 1);
  if (kind === "KEY") {
    let key: PrivateKey;
    try {
      key = PrivateKey.from(rest);
    } catch (error) {
      throw TestkitErrors.badOptionValue("signature-provider", spec, { cause: error });
    }
    return { publicKey, kind, sign: async (digest) => key.signDigest(digest).toString() };
  }
  if (kind === "KEOSD") {
    const url = rest;
    return { publicKey, kind, url, sign: (digest) => keosdSign(url, digest, publicKey, timeoutMs) };
  }
  throw TestkitErrors.badOptionValue("signature-provider", spec);
}

// What nodeos does for KEOSD providers: POST [digest, pubkey] to the URL exactly as written (a bare host is a
// misconfiguration), with a deadline of keosd-provider-timeout for the whole exchange. The error says what nodeos' fc
// exception would: a timeout, or the signer's status and answer.
async function keosdSign(url: string, digest: string, publicKey: string, timeoutMs: number): Promise<string> {
  const deadline = AbortSignal.timeout(timeoutMs);
  let status: number;
  let text: string;
  try {
    const res = await fetch(url, {
      method: "POST",
      body: JSON.stringify([digest, publicKey]),
      headers: { "content-type": "application/json" },
      signal: deadline,
    });
    status = res.status;
    text = await res.text();
  } catch (error) {
    const reason = deadline.aborted
      ? `2 timeout_exception: Timeout Exception: no answer within ${timeoutMs} ms`
      : `0 exception: unspecified: ${(error as Error).message}`;
    throw TestkitErrors.signerFailed(url, reason, { cause: error });
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (status !== 200 || typeof body !== "string")
    throw TestkitErrors.signerFailed(url, `0 exception: unspecified: Error code ${status}: ${text.slice(0, 300)}`);
  return body;
}
