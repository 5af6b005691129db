import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Checksum256, PrivateKey, PublicKey, Signature } from "@wharfkit/antelope";
import pino from "pino";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { createProductionMetrics } from "../src/nodeos/production/metrics.js";
import { SigningFence, type SigningVerdict } from "../src/nodeos/production/signing-fence.js";

const KEY = PrivateKey.generate("K1");
const PUB = KEY.toPublic().toLegacyString();
const DIGEST = "ab".repeat(32);

// A keosd-like blocksigner: signs [digest, pubkey] with its key, after `delayMs`; counts what it signed.
async function blocksigner(delayMs = 0): Promise<{ url: string; server: Server; received: number; signed: number }> {
  const state = { url: "", server: undefined as unknown as Server, received: 0, signed: 0 };
  state.server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      state.received++;
      setTimeout(() => {
        if (req.url === "/v1/wallet/get_public_keys") return void res.end(JSON.stringify([PUB]));
        const [digest] = JSON.parse(Buffer.concat(chunks).toString()) as [string, string];
        state.signed++;
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify(KEY.signDigest(Checksum256.from(digest)).toString()));
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => state.server.listen(0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${(state.server.address() as AddressInfo).port}`;
  return state;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(verdict: () => SigningVerdict, delayMs = 0) {
  const signer = await blocksigner(delayMs);
  const registry = new Registry();
  const metrics = createProductionMetrics(registry);
  const fence = new SigningFence(
    { listen: "127.0.0.1:0", upstream: signer.url, upstreamTimeoutMs: 2_000 },
    { verdict, logger: pino({ level: "silent" }), metrics },
  );
  await fence.listen();
  cleanups.push(async () => {
    await fence.close();
    await new Promise((resolve) => signer.server.close(resolve));
  });
  const sign = async () => {
    const res = await fetch(fence.signUrl as string, { method: "POST", body: JSON.stringify([DIGEST, PUB]) });
    return { status: res.status, body: (await res.json()) as unknown };
  };
  return { fence, signer, sign, registry };
}

describe("the signing fence", () => {
  it("passes a sign request to the blocksigner while production is allowed: nodeos gets a signature of its digest", async () => {
    const { sign, signer, registry, fence } = await setup(() => ({ allowed: true }));
    expect(fence.signUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1\/wallet\/sign_digest$/);
    const { status, body } = await sign();
    expect(status).toBe(200);
    expect(Signature.from(body as string).verifyDigest(Checksum256.from(DIGEST), PublicKey.from(PUB))).toBe(true);
    expect(signer.signed).toBe(1);
    const text = await registry.metrics();
    expect(text).toMatch(/^manageos_bp_sign_requests_total\{result="signed"\} 1$/m);
    expect(text).toMatch(/^manageos_bp_sign_duration_seconds_count 1$/m);
  });

  it("refuses without asking the blocksigner while production is not allowed, in keosd's error shape", async () => {
    const { sign, signer, registry } = await setup(() => ({ allowed: false, reason: "production is not resumed on this node" }));
    const { status, body } = await sign();
    expect(status).toBe(403);
    expect(body).toMatchObject({
      code: 403,
      error: { name: "manageos_signing_fence", what: expect.stringContaining("production is not resumed on this node") },
    });
    expect(signer.signed).toBe(0);
    expect(await registry.metrics()).toMatch(/^manageos_bp_sign_requests_total\{result="refused"\} 1$/m);
  });

  it("withholds a signature the blocksigner gave after production stopped being allowed meanwhile", async () => {
    let allowed = true;
    const { sign, signer } = await setup(() => (allowed ? { allowed: true } : { allowed: false, reason: "paused meanwhile" }), 150);
    const pending = sign();
    // The request reached the blocksigner, which takes 150 ms to sign: the pause comes now.
    while (signer.received === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    allowed = false;
    const { status, body } = await pending;
    expect(signer.signed).toBe(1);
    expect(status).toBe(403);
    expect(JSON.stringify(body)).toContain("paused meanwhile");
  });

  it("answers only its two keosd routes, and refuses a body larger than a sign request", async () => {
    const { fence } = await setup(() => ({ allowed: true }));
    const base = (fence.signUrl as string).replace("/v1/wallet/sign_digest", "");
    expect((await fetch(`${base}/v1/wallet/unlock`, { method: "POST", body: "[]" })).status).toBe(404);
    expect((await fetch(`${base}/v1/wallet/sign_digest`)).status).toBe(404);
    const keys = await fetch(`${base}/v1/wallet/get_public_keys`, { method: "POST", body: "" });
    expect(await keys.json()).toEqual([PUB]);
    const big = await fetch(`${base}/v1/wallet/sign_digest`, { method: "POST", body: "x".repeat(10_000) }).catch((e: unknown) => e);
    expect(big instanceof Error ? "reset" : (big as Response).status).toMatch(/reset|400/);
  });

  it("forwards to another blocksigner once told to (a reload that changed bp.blocksigner)", async () => {
    const { sign, signer, fence } = await setup(() => ({ allowed: true }));
    const next = await blocksigner();
    cleanups.push(() => new Promise<void>((resolve) => next.server.close(() => resolve())));
    expect((await sign()).status).toBe(200);
    fence.setUpstream(next.url);
    expect((await sign()).status).toBe(200);
    expect([signer.signed, next.signed]).toEqual([1, 1]);
  });

  it("says when the blocksigner cannot be reached, and counts it as failed", async () => {
    const { sign, signer, registry } = await setup(() => ({ allowed: true }));
    await new Promise((resolve) => signer.server.close(resolve));
    signer.server.closeAllConnections();
    const { status } = await sign();
    expect(status).toBe(502);
    expect(await registry.metrics()).toMatch(/^manageos_bp_sign_requests_total\{result="failed"\} 1$/m);
  });
});
