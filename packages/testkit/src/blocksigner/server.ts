import { createServer, type IncomingMessage, type Server } from "node:http";
import { Checksum256, type PrivateKey, PublicKey } from "@wharfkit/antelope";

/** Public key formats: legacy `EOS...` or `PUB_K1_...`. */
export type KeyFormat = "legacy" | "k1";

/** The keosd wallet API subset a BP's blocksigner serves: get_public_keys and sign_digest. */
export function createSignerServer(keys: readonly PrivateKey[], format: KeyFormat, onSign: (pub: string) => void): Server {
  const byPub = new Map<string, PrivateKey>();
  for (const k of keys) byPub.set(k.toPublic().toString(), k);
  const show = (k: PrivateKey) => (format === "legacy" ? k.toPublic().toLegacyString() : k.toPublic().toString());
  return createServer((req, res) => {
    void body(req).then((raw) => {
      const path = new URL(req.url ?? "/", "http://x").pathname;
      const reply = (status: number, value: unknown) => {
        const text = JSON.stringify(value);
        res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
        res.end(text);
      };
      if (path === "/v1/wallet/get_public_keys") return reply(200, keys.map(show));
      if (path !== "/v1/wallet/sign_digest") return reply(404, walletError(404, "Not Found", 0, "exception", "Unknown Endpoint"));
      let digest: Checksum256;
      let pub: string;
      try {
        const parsed = JSON.parse(raw) as unknown;
        if (!Array.isArray(parsed) || typeof parsed[0] !== "string" || typeof parsed[1] !== "string")
          throw new Error("expected [digest, public_key]");
        digest = Checksum256.from(parsed[0]);
        pub = PublicKey.from(parsed[1]).toString();
      } catch (error) {
        return reply(400, walletError(400, "Invalid Request", 3200006, "invalid_http_request", (error as Error).message));
      }
      const key = byPub.get(pub);
      if (key === undefined)
        return reply(
          500,
          walletError(
            500,
            "Internal Service Error",
            3120003,
            "wallet_missing_pub_key_exception",
            `Public key not found in unlocked wallets ${parsed1(raw)}`,
          ),
        );
      onSign(show(key));
      return reply(200, key.signDigest(digest).toString());
    });
  });
}

function parsed1(raw: string): string {
  try {
    return String((JSON.parse(raw) as unknown[])[1]);
  } catch {
    return "";
  }
}

function walletError(code: number, message: string, errCode: number, name: string, detail: string): unknown {
  return {
    code,
    message,
    error: {
      code: errCode,
      name,
      what: detail,
      details: [{ message: detail, file: "wallet_manager.cpp", line_number: 1, method: "sign_digest" }],
    },
  };
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
