import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import {
  createCluster,
  decodeSafety,
  encodeSafety,
  generateAccountKey,
  generateFinalizerKey,
  NODEOS_SIM_BIN,
  readLedger,
  safetyFilePath,
  sendFinkeyAction,
  startNodeosSim,
  tempDir,
} from "../src/index.js";

const KEY = "EOS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV=KEY:5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3";
const STAMP = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}";
const SPRING = "v1.2.2";

async function exitOf(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [NODEOS_SIM_BIN, ...args], { env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function withConfig(text: string): Promise<string[]> {
  const dir = await tempDir();
  await mkdir(join(dir, "config"), { recursive: true });
  await writeFile(join(dir, "config", "config.ini"), text);
  return ["--config-dir", join(dir, "config"), "--data-dir", join(dir, "data")];
}

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms: ${JSON.stringify(v).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function post(url: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { method: "POST", body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as unknown };
}

async function getInfo(url: string): Promise<{ head_block_num: number; last_irreversible_block_num: number }> {
  return (await (await fetch(`${url}/v1/chain/get_info`)).json()) as { head_block_num: number; last_irreversible_block_num: number };
}

async function finalizers(url: string): Promise<{ finalizer_name: string; active_key_id: number; finalizer_key_count: number }[]> {
  const r = await post(`${url}/v1/chain/get_table_rows`, { code: "eosio", scope: "eosio", table: "finalizers", json: true });
  return (r.body as { rows: { finalizer_name: string; active_key_id: number; finalizer_key_count: number }[] }).rows;
}

describe("nodeos-sim as Spring 1.x", () => {
  it("reports a Spring version, refuses producer-threads and knows vote-threads; leap 5 the other way round", async () => {
    const v = await exitOf(["--version"], { NODEOS_SIM_VERSION: SPRING });
    expect(v).toMatchObject({ code: 0, stdout: `${SPRING}\n` });
    const spring = await exitOf(await withConfig("producer-threads = 2\n"), { NODEOS_SIM_VERSION: SPRING });
    expect(spring.code).toBe(254);
    expect(spring.stderr).toContain("Dynamic exception type: boost::wrapexcept<boost::program_options::unknown_option>");
    expect(spring.stderr).toContain("std::exception::what: unrecognised option 'producer-threads'");
    const cli = await exitOf([...(await withConfig("")), "--producer-threads", "2"], { NODEOS_SIM_VERSION: SPRING });
    expect(cli.stderr).toContain("unrecognised option 'producer-threads'");
    expect((await exitOf(["--print-default-config"], { NODEOS_SIM_VERSION: SPRING })).stdout).toContain("# vote-threads = 4");
    const leap = await exitOf(await withConfig("vote-threads = 4\n"), {});
    expect(leap.code).toBe(254);
    expect(leap.stderr).toContain("unrecognised option 'vote-threads'");

    const sim = await startNodeosSim({
      version: SPRING,
      config: { "vote-threads": 4, "finality-data-history": "false", "producer-name": "eosio", "signature-provider": KEY },
    });
    const info = (await (await fetch(`${sim.httpUrl}/v1/chain/get_info`)).json()) as { server_version_string: string };
    expect(info.server_version_string).toBe(SPRING);
    await sim.stop();
  });

  it("prints Spring 1.0.2+ block lines, confirmed only before Savanna, and LIB two blocks behind head once Savanna is active", async () => {
    // Before Savanna (far ahead here): confirmed after lib.
    const legacyNode = await startNodeosSim({
      version: SPRING,
      savannaFrom: 1_000_000,
      producerName: "eosio",
      signatureProvider: KEY,
      libLag: 4,
    });
    const legacy = await legacyNode.process.waitForLine(/Produced block/);
    expect(legacy).toMatch(
      new RegExp(
        `^info  ${STAMP} nodeos {4}controller\\.cpp:3900 +log_applied +\\] Produced block [0-9a-f]{16}\\.\\.\\. #\\d+ @ ${STAMP} signed by eosio \\[trxs: 0, lib: \\d+, confirmed: 0, net: 0, cpu: 100 us, elapsed: 40 us, producing time: 90 us\\]$`,
      ),
    );
    await legacyNode.stop();
    // A chain whose genesis is a moment ahead, with Savanna from block 10: the transition, then no confirmed, LIB = head - 2.
    const dir = await tempDir();
    await createCluster(dir, { producers: ["bp.a"], roundLength: 4, blockIntervalMs: 50, genesisTime: Date.now() + 2_000 });
    const from = 10;
    const producer = await startNodeosSim({
      version: SPRING,
      savannaFrom: from,
      clusterDir: dir,
      producerName: "bp.a",
      signatureProvider: KEY,
    });
    await producer.process.waitForLine(new RegExp(`Transitioning to savanna, IF Genesis Block ${from}, IF Critical Block ${from}`));
    const savanna = await producer.process.waitForLine(/Produced block .* signed by bp\.a \[trxs: 0, lib: \d+, net: /);
    const m = /#(\d+) @ .* \[trxs: 0, lib: (\d+), net: 0, cpu: 100 us, elapsed: 40 us, producing time: 90 us\]$/.exec(savanna);
    expect(m).not.toBeNull();
    expect(Number(m![2])).toBe(Number(m![1]) - 2);
    await producer.stop();

    const relay = await startNodeosSim({ version: SPRING, savannaFrom: 1 });
    const received = await relay.process.waitForLine(/Received block/);
    expect(received).toMatch(
      new RegExp(
        `^info  ${STAMP} nodeos {4}controller\\.cpp:3900 +log_applied +\\] Received block [0-9a-f]{16}\\.\\.\\. #\\d+ @ ${STAMP} signed by eosio \\[trxs: 0, lib: \\d+, net: 0, cpu: 100 us, elapsed: 50 us, applying time: 120 us, latency: \\d+ ms\\]$`,
      ),
    );
    await relay.stop();
  });

  it("votes only with the producer's active finalizer key, writes safety.dat before each vote, and switches nodes on a signed actfinkey", async () => {
    const dir = await tempDir();
    const account = generateAccountKey();
    const linked = generateAccountKey();
    const [k1, k2, k3] = [generateFinalizerKey(), generateFinalizerKey(), generateFinalizerKey()];
    await createCluster(dir, {
      producers: ["bp.a", "bp.b"],
      roundLength: 4,
      blockIntervalMs: 50,
      accounts: { "bp.a": [account.publicKey], "bp.a@finkey": [linked.publicKey] },
      finalizerKeys: { "bp.a": [k1.publicKey, k2.publicKey] },
    });
    const common = { version: SPRING, clusterDir: dir, producerName: "bp.a" };
    const a = await startNodeosSim({ ...common, instance: "a", signatureProvider: [KEY, k1.signatureProvider] });
    const b = await startNodeosSim({ ...common, instance: "b", pauseOnStartup: true, signatureProvider: [KEY, k2.signatureProvider] });
    expect(await finalizers(a.httpUrl)).toEqual([
      { finalizer_name: "bp.a", active_key_id: 0, active_key_binary: expect.stringMatching(/^[0-9a-f]{192}$/), finalizer_key_count: 2 },
    ]);

    const first = await until(
      () => readLedger(dir),
      (l) => (l.votesByInstance.a ?? 0) >= 5,
    );
    expect(first.votesByInstance.b).toBeUndefined();
    // A strong QC on every block: LIB two behind head.
    const info = await getInfo(a.httpUrl);
    expect(info.head_block_num - info.last_irreversible_block_num).toBe(2);
    // safety.dat is written before the vote is sent: it always remembers at least the last vote the ledger saw.
    const voted = Math.max(...(await votedBlocks(dir, "a")));
    const bytes = await readFile(safetyFilePath(join(a.dataDir, "finalizers")));
    expect(bytes.subarray(0, 8).toString("ascii")).toBe("SIMSAFE1");
    const safety = decodeSafety(bytes).get(k1.publicKey);
    expect(safety?.lastVoteNum).toBeGreaterThanOrEqual(voted);
    const later = await until(
      async () => decodeSafety(await readFile(safetyFilePath(join(a.dataDir, "finalizers")))).get(k1.publicKey)!,
      (s) => s.lastVoteNum > safety!.lastVoteNum,
    );
    expect(later.lockNum).toBe(later.lastVoteNum - 2);
    // b's key is registered but not active: it has not voted, so it has written no safety.dat.
    expect(existsSync(safetyFilePath(join(b.dataDir, "finalizers")))).toBe(false);

    // A key that is not bp.a's active permission is refused; the table does not change.
    const wrong = await sendFinkeyAction(
      b.httpUrl,
      { action: "actfinkey", finalizerName: "bp.a", finalizerKey: k2.publicKey, privateKey: generateAccountKey().privateKey },
      "push_transaction",
    );
    expect(wrong.status).toBe(500);
    expect(wrong.body).toMatchObject({ code: 500, error: { code: 3090003, name: "unsatisfied_authorization" } });
    expect((await finalizers(b.httpUrl))[0]?.active_key_id).toBe(0);
    const asOther = await sendFinkeyAction(b.httpUrl, {
      action: "actfinkey",
      finalizerName: "bp.a",
      finalizerKey: k2.publicKey,
      privateKey: account.privateKey,
      actor: "bp.b",
    });
    expect(asOther.body).toMatchObject({ error: { code: 3090004, name: "missing_auth_exception" } });
    const unlinked = await sendFinkeyAction(b.httpUrl, {
      action: "actfinkey",
      finalizerName: "bp.a",
      finalizerKey: k2.publicKey,
      privateKey: account.privateKey,
      permission: "owner2",
    });
    expect(unlinked.body).toMatchObject({ error: { code: 3090005, name: "irrelevant_auth_exception" } });
    const badPop = await sendFinkeyAction(a.httpUrl, {
      action: "regfinkey",
      finalizerName: "bp.a",
      finalizerKey: k3.publicKey,
      proofOfPossession: k1.proofOfPossession,
      privateKey: account.privateKey,
    });
    expect(badPop.body).toMatchObject({
      error: { code: 3050003, details: [{ message: "assertion failure with message: proof of possession check failed" }] },
    });

    // A permission linked to the finalizer key actions (bp.a@finkey) may register.
    const reg = await sendFinkeyAction(
      a.httpUrl,
      {
        action: "regfinkey",
        finalizerName: "bp.a",
        finalizerKey: k3.publicKey,
        proofOfPossession: k3.proofOfPossession,
        privateKey: linked.privateKey,
        permission: "finkey",
      },
      "push_transaction",
    );
    expect(reg.status).toBe(200);
    const act = await sendFinkeyAction(b.httpUrl, {
      action: "actfinkey",
      finalizerName: "bp.a",
      finalizerKey: k2.publicKey,
      privateKey: account.privateKey,
    });
    expect(act).toMatchObject({ status: 200, body: { processed: { receipt: { status: "executed" } } } });
    // Every node reads the same chain state.
    expect(await finalizers(a.httpUrl)).toMatchObject([{ finalizer_name: "bp.a", active_key_id: 1, finalizer_key_count: 3 }]);
    const keys = await post(`${a.httpUrl}/v1/chain/get_table_rows`, { code: "eosio", scope: "eosio", table: "finkeys", json: true });
    expect((keys.body as { rows: { finalizer_key: string }[] }).rows.map((r) => r.finalizer_key)).toEqual([
      k1.publicKey,
      k2.publicKey,
      k3.publicKey,
    ]);

    const switched = await until(
      () => readLedger(dir),
      (l) => (l.votesByInstance.b ?? 0) >= 3,
    );
    const votesOfA = switched.votesByInstance.a ?? 0;
    const after = await until(
      () => readLedger(dir),
      (l) => (l.votesByInstance.b ?? 0) >= (switched.votesByInstance.b ?? 0) + 3,
    );
    expect(after.votesByInstance.a ?? 0).toBe(votesOfA);
    await Promise.all([a.stop(), b.stop()]);
    expect((await readLedger(dir)).doubleVotes).toEqual([]);
  });

  it("records double votes when two nodes vote with the same active key", async () => {
    const dir = await tempDir();
    const key = generateFinalizerKey();
    await createCluster(dir, {
      producers: ["bp.a", "bp.b"],
      roundLength: 4,
      blockIntervalMs: 50,
      finalizerKeys: { "bp.a": [key.publicKey] },
    });
    const common = { version: SPRING, clusterDir: dir, producerName: "bp.a", signatureProvider: [KEY, key.signatureProvider] };
    const a = await startNodeosSim({ ...common, instance: "a" });
    const b = await startNodeosSim({ ...common, instance: "b", pauseOnStartup: true });
    const ledger = await until(
      () => readLedger(dir),
      (l) => l.doubleVotes.length >= 3,
    );
    await Promise.all([a.stop(), b.stop()]);
    expect(ledger.doubleVotes[0]).toMatchObject({ finalizerKey: key.publicKey, finalizer: "bp.a", instances: ["a", "b"] });
    const { stdout } = await promisify(execFile)(process.execPath, [NODEOS_SIM_BIN, "ledger", dir]);
    expect(stdout).toMatch(/double votes: [1-9]/);
  });

  it("refuses to vote with a corrupt safety.dat, says the local finalizer did not vote, and LIB stalls", async () => {
    const dir = await tempDir();
    const key = generateFinalizerKey();
    await createCluster(dir, {
      producers: ["bp.a", "bp.b"],
      roundLength: 4,
      blockIntervalMs: 50,
      finalizerKeys: { "bp.a": [key.publicKey] },
    });
    const base = await tempDir();
    const safety = safetyFilePath(join(base, "data", "finalizers"));
    await mkdir(join(base, "data", "finalizers"), { recursive: true });
    await writeFile(safety, "not a safety file");
    const sim = await startNodeosSim({
      version: SPRING,
      clusterDir: dir,
      instance: "c",
      dataDir: join(base, "data"),
      producerName: "bp.a",
      signatureProvider: [KEY, key.signatureProvider],
    });
    await sim.process.waitForLine(new RegExp(`^error .*unable to read finalizer safety persistence file ${safety}: bad magic`));
    const warn = await sim.process.waitForLine(/Local finalizer/);
    expect(warn).toMatch(
      /^warn {2}.* tracked_votes\.cpp:\d+ +log_missing_votes +\] Local finalizer bp\.a did not vote in block (\d+) : [0-9a-f]{16} for block \d+$/,
    );
    const [, n] = /in block (\d+) : .* for block (\d+)$/.exec(warn)!;
    const info = await sim.process.waitForLine(
      new RegExp(
        `Block [0-9a-f]{16}\\.\\.\\. #${n} @ ${STAMP} produced by bp\\.[ab], latency: \\d+ms has no votes for block #${Number(n) - 1} from finalizers: bp\\.a$`,
      ),
    );
    expect(info).toMatch(/^info /);
    // Without its votes there is no strong QC: LIB stalls while head goes on.
    const info1 = await getInfo(sim.httpUrl);
    const info2 = await until(
      () => getInfo(sim.httpUrl),
      (i) => i.head_block_num >= info1.head_block_num + 5,
    );
    expect(info2.last_irreversible_block_num).toBe(info1.last_irreversible_block_num);
    expect(info2.last_irreversible_block_num).toBeLessThan(info2.head_block_num - 5);
    await sim.stop();
    expect(await readFile(safety, "utf8")).toBe("not a safety file");
    expect((await readLedger(dir)).votes).toBe(0);
  });

  it("does not vote below the last vote its safety.dat holds (a restored file ahead of the chain)", async () => {
    const dir = await tempDir();
    const key = generateFinalizerKey();
    await createCluster(dir, {
      producers: ["bp.a", "bp.b"],
      roundLength: 4,
      blockIntervalMs: 50,
      finalizerKeys: { "bp.a": [key.publicKey] },
    });
    const base = await tempDir();
    const safety = safetyFilePath(join(base, "data", "finalizers"));
    await mkdir(join(base, "data", "finalizers"), { recursive: true });
    const ahead = { lastVoteNum: 1_000_000, lastVoteId: "ab".repeat(32), lockNum: 999_998, lockId: "cd".repeat(32), timeMs: 1 };
    await writeFile(safety, encodeSafety(new Map([[key.publicKey, ahead]])));
    const sim = await startNodeosSim({
      version: SPRING,
      clusterDir: dir,
      instance: "d",
      dataDir: join(base, "data"),
      producerName: "bp.a",
      signatureProvider: [KEY, key.signatureProvider],
    });
    await sim.process.waitForLine(/loaded finalizer safety information for 1 finalizer\(s\)/);
    await sim.process.waitForLine(/Local finalizer bp\.a did not vote in block \d+/);
    await sim.stop();
    expect(decodeSafety(await readFile(safety)).get(key.publicKey)).toEqual(ahead);
    expect((await readLedger(dir)).votes).toBe(0);
  });

  it("does not send votes with vote-threads = 0", async () => {
    const dir = await tempDir();
    const key = generateFinalizerKey();
    await createCluster(dir, {
      producers: ["bp.a", "bp.b"],
      roundLength: 4,
      blockIntervalMs: 50,
      finalizerKeys: { "bp.a": [key.publicKey] },
    });
    const sim = await startNodeosSim({
      version: SPRING,
      clusterDir: dir,
      instance: "e",
      producerName: "bp.a",
      signatureProvider: [KEY, key.signatureProvider],
      config: { "vote-threads": 0 },
    });
    await sim.process.waitForLine(/Local finalizer bp\.a did not vote in block \d+/);
    await sim.stop();
    expect((await readLedger(dir)).votes).toBe(0);
  });
});

// Blocks the ledger holds a vote of `instance` for.
async function votedBlocks(dir: string, instance: string): Promise<number[]> {
  const out: number[] = [];
  for (const num of await readdir(join(dir, "votes"))) {
    if ((await readdir(join(dir, "votes", num))).some((n) => n.endsWith(`.${instance}`))) out.push(Number(num));
  }
  return out;
}
