import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Checksum256, PrivateKey, PublicKey, Signature } from "@wharfkit/antelope";
import { describe, expect, it } from "vitest";
import { createCluster, readLedger, startBlocksignerSim, startNodeosSim, tempDir } from "../src/index.js";
import { packHeader, signingDigest } from "../src/nodeos/block.js";

const WIF = "5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3";
const PUB = "EOS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV";

async function post(url: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(url, { method: "POST", body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as unknown };
}

describe("blocksigner-sim", () => {
  it("lists its keys and signs digests with real K1 signatures", async () => {
    const other = PrivateKey.generate("K1");
    const signer = await startBlocksignerSim({ keys: [WIF, other.toString()] });
    expect(signer.publicKeys).toEqual([PUB, other.toPublic().toLegacyString()]);
    const keys = await post(`${signer.url}/v1/wallet/get_public_keys`, undefined);
    expect(keys.json).toEqual([PUB, other.toPublic().toLegacyString()]);
    const digest = "a".repeat(64);
    const signed = await post(`${signer.url}/v1/wallet/sign_digest`, [digest, PUB]);
    expect(signed.status).toBe(200);
    const sig = Signature.from(signed.json as string);
    expect(sig.verifyDigest(Checksum256.from(digest), PublicKey.from(PUB))).toBe(true);
    const unknown = await post(`${signer.url}/v1/wallet/sign_digest`, [digest, PrivateKey.generate("K1").toPublic().toLegacyString()]);
    expect(unknown.status).toBe(500);
    expect(unknown.json).toMatchObject({ error: { name: "wallet_missing_pub_key_exception" } });
    expect(await signer.stop()).toEqual({ code: 0, signal: null });
  });

  it("generates a key when none is given, reads keys files, and serves PUB_K1_ keys on request", async () => {
    const generated = await startBlocksignerSim({ keyFormat: "k1" });
    expect(generated.publicKeys).toHaveLength(1);
    expect(generated.publicKeys[0]).toMatch(/^PUB_K1_/);
    await generated.stop();
    const file = join(await tempDir(), "keys");
    await writeFile(file, `# BP key\n${WIF}\n`);
    const fromFile = await startBlocksignerSim({ keysFile: file });
    expect(fromFile.publicKeys).toEqual([PUB]);
    await fromFile.stop();
  });

  it("signs the blocks a nodeos-sim with a KEOSD signature provider produces", async () => {
    const signer = await startBlocksignerSim({ keys: [WIF] });
    const cluster = await tempDir();
    await createCluster(cluster, { producers: ["bp.a", "bp.b"], roundLength: 3, blockIntervalMs: 40 });
    const sim = await startNodeosSim({
      clusterDir: cluster,
      instance: "bp",
      producerName: "bp.a",
      signatureProvider: `${PUB}=KEOSD:${signer.signDigestUrl}`,
      config: { "keosd-provider-timeout": 2000 },
    });
    const line = await sim.process.waitForLine(/Produced block .* #(\d+) @/);
    await signer.process.waitForLine(/signed digest with EOS6MRy/);
    const num = Number(/#(\d+) @/.exec(line)![1]);
    type BlockJson = Record<"producer_signature" | "producer" | "previous" | "timestamp" | "transaction_mroot" | "action_mroot", string> & {
      schedule_version: number;
      confirmed: number;
    };
    const block = (await post(`${sim.httpUrl}/v1/chain/get_block`, { block_num_or_id: num })).json as BlockJson;
    const info = (await post(`${sim.httpUrl}/v1/chain/get_info`, {})).json as { chain_id: string };
    expect(block.producer).toBe("bp.a");
    // The signature is the signer's: over the block's signing digest it recovers to the BP key.
    const header = packHeader({
      num,
      previous: block.previous,
      timeMs: Date.parse(`${block.timestamp}Z`),
      producer: block.producer,
      confirmed: block.confirmed,
      transactionMroot: block.transaction_mroot,
      actionMroot: block.action_mroot,
      scheduleVersion: block.schedule_version,
    });
    const digest = signingDigest(header, info.chain_id);
    expect(Signature.from(block.producer_signature).recoverDigest(digest).toLegacyString()).toBe(PUB);
    await sim.stop();
    expect((await readLedger(cluster)).produced).toBeGreaterThan(0);
    // With the signer gone, production fails and says why.
    await signer.stop();
    const orphan = await startNodeosSim({
      clusterDir: cluster,
      instance: "bp",
      producerName: "bp.a",
      signatureProvider: `${PUB}=KEOSD:${signer.signDigestUrl}`,
      config: { "keosd-provider-timeout": 2000 },
    });
    await orphan.process.waitForLine(/warn .*maybe_produce_block.*signature provider .* failed: 0 exception/);
    await orphan.stop();
  });

  it("produces no block when the KEOSD signer does not answer within keosd-provider-timeout", async () => {
    const signer = await startBlocksignerSim({ keys: [WIF] });
    const cluster = await tempDir();
    await createCluster(cluster, { producers: ["bp.a", "bp.b"], roundLength: 3, blockIntervalMs: 40 });
    // A frozen signer takes the connection and never answers.
    signer.kill("SIGSTOP");
    const sim = await startNodeosSim({
      clusterDir: cluster,
      instance: "bp",
      producerName: "bp.a",
      signatureProvider: `${PUB}=KEOSD:${signer.signDigestUrl}`,
      config: { "keosd-provider-timeout": 30 },
    });
    try {
      const line = await sim.process.waitForLine(/maybe_produce_block.*timeout_exception: Timeout Exception: no answer within 30 ms/);
      expect(line).toMatch(/^warn /);
      expect((await readLedger(cluster)).produced).toBe(0);
      expect(sim.process.tail(200)).not.toMatch(/Produced block/);
    } finally {
      await sim.stop();
      signer.kill("SIGCONT");
      await signer.stop();
    }
  });
});
