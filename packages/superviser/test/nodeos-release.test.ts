import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isManageosError } from "@manageos/core";
import { type BlocksignerSim, generateFinalizerKey, startBlocksignerSim } from "@manageos/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { buildConfigIni } from "../src/nodeos/config-file.js";
import { formatIni } from "../src/nodeos/config-ini.js";
import { readFinalizerKeys } from "../src/nodeos/finalizer-keys.js";
import { detectRelease, refusedOption, releaseOf } from "../src/nodeos/release.js";
import { tempDir } from "./helpers.js";
import { type SimChain, simChain } from "./nodeos-helpers.js";

const DEV_KEY = "5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3";
const BLS_PUB =
  "PUB_BLS_Uf3df_EqPpR31ZkenPtwgGUtd69cahyuY2lc9jPwEta7Q6t7REV-Hd35hUIDel4N7pQdCGZdnVZzs_UmJghEjGhVHN1QVVAQjOca8W8tjFrTzbSBKbwT8gIozy24g9wD0ur5Ww";
const BLS_PVT = "PVT_BLS_qbenUm8bLcSrvJsOkvr6X2ctyxRn2t3ZS4rTu56ulGp0Dc2y";
const OTHER_PUB =
  "PUB_BLS_9ehuvKxTAmsn8Q3C7pNVzsgZ2S5Avr1W3N3jzVQwTXvbk6RnKV2mF4qjjM2V1DfAFbW6CPBTrmuX2hNv5Qo7MZdf3zF0_JcBmyeXXIpoB4WeYqp2FvGhyW0Yk4h1WwkE";
const OTHER_PVT = "PVT_BLS_bjr1ZrXxHwM1RkFhv93sdnsOmF5K7aT5W8t6Ufd0LqPQeH9P";

const chains: SimChain[] = [];
const signers: BlocksignerSim[] = [];
const dirs: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of chains.splice(0)) await c.dispose();
  for (const s of signers.splice(0)) await s.stop();
  for (const remove of dirs.splice(0)) await remove();
});

async function scratch(): Promise<string> {
  const { dir, remove } = await tempDir("nodeos-release-");
  dirs.push(remove);
  return dir;
}

async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isManageosError(error)) throw new Error(`expected a coded error, got ${String(error)}`);
  return { code: error.code, message: error.message };
}

describe("which nodeos: Spring 1.x or leap", () => {
  it("reads the line from the version, and which options each refuses", () => {
    expect(releaseOf("v1.2.2")).toBe("spring");
    expect(releaseOf("v1.0.0-rc1")).toBe("spring");
    expect(releaseOf("v5.0.3")).toBe("leap");
    expect(releaseOf("v2.0.13")).toBe("leap");
    expect(refusedOption("producer-threads", "spring")).toMatch(/removed in Spring 1\.x/);
    expect(refusedOption("producer-threads", "leap")).toBeUndefined();
    expect(refusedOption("vote-threads", "leap")).toMatch(/exists only in Spring/);
    expect(refusedOption("vote-threads", "spring")).toBeUndefined();
    expect(refusedOption("p2p-peer-address", "spring")).toBeUndefined();
  });

  it("asks the binary itself, and says so clearly when its answer is not a version", async () => {
    const { NODEOS_SIM_BIN } = await import("@manageos/testkit");
    expect(await detectRelease(NODEOS_SIM_BIN, { NODEOS_SIM_VERSION: "v1.2.2" })).toEqual({ version: "v1.2.2", release: "spring" });
    expect(await detectRelease(NODEOS_SIM_BIN, {})).toEqual({ version: "v5.0.3", release: "leap" });
    const dir = await scratch();
    const silent = join(dir, "silent.sh");
    await writeFile(silent, "#!/bin/sh\necho hello\n", { mode: 0o755 });
    expect(await refusal(detectRelease(silent, {}))).toMatchObject({
      code: "SUP_ERR_NODE_VERSION",
      message: expect.stringContaining("node.release"),
    });
  });
});

describe("config.ini for the release", () => {
  it("refuses an option the release would refuse, wherever it comes from, and sets defaults only when unset", () => {
    const keys = { httpServerAddress: "127.0.0.1:1", refuse: (k: string) => refusedOption(k, "spring"), defaults: { "vote-threads": "4" } };
    expect(() => buildConfigIni("producer-threads = 2\n", keys)).toThrow(/SUP_ERR_OPTION_REFUSED|producer-threads/);
    expect(() => buildConfigIni("", { ...keys, extra: { "producer-threads": "2" } })).toThrow(/producer-threads/);
    expect(formatIni(buildConfigIni("", keys))).toContain("vote-threads = 4\n");
    expect(formatIni(buildConfigIni("vote-threads = 0\n", keys))).toMatch(/^vote-threads = 0$/m);
    expect(formatIni(buildConfigIni("vote-threads = 0\n", keys))).not.toMatch(/^vote-threads = 4$/m);
  });
});

describe("finalizer keys", () => {
  it("reads PUB_BLS=PVT_BLS pairs from a file or from every file of a Secret's directory", async () => {
    const dir = await scratch();
    await writeFile(join(dir, "keys.txt"), `# this node's finalizer\n${BLS_PUB}=${BLS_PVT}\n`);
    expect(await readFinalizerKeys(join(dir, "keys.txt"))).toEqual([{ publicKey: BLS_PUB, privateKey: BLS_PVT }]);
    const secret = join(dir, "secret");
    await mkdir(join(secret, "..2026_12_01"), { recursive: true });
    await writeFile(join(secret, "a"), `${BLS_PUB}=KEY:${BLS_PVT}\n`);
    await writeFile(join(secret, "b"), `${OTHER_PUB}=${OTHER_PVT}\n`);
    await writeFile(join(secret, "..data"), "not keys");
    expect((await readFinalizerKeys(secret)).map((k) => k.publicKey)).toEqual([BLS_PUB, OTHER_PUB]);
  });

  it("refuses what is not a key pair, naming the file and line and never the private key", async () => {
    const dir = await scratch();
    await writeFile(join(dir, "bad"), `${BLS_PUB}\n`);
    const bad = await refusal(readFinalizerKeys(join(dir, "bad")));
    expect(bad).toMatchObject({ code: "SUP_ERR_FINALIZER_KEYS", message: expect.stringContaining(`${join(dir, "bad")}:1`) });
    await writeFile(join(dir, "k1"), `${BLS_PUB}=${DEV_KEY}\n`);
    const k1 = await refusal(readFinalizerKeys(join(dir, "k1")));
    expect(k1.message).not.toContain(DEV_KEY);
    await writeFile(join(dir, "twice"), `${BLS_PUB}=${BLS_PVT}\n${BLS_PUB}=${BLS_PVT}\n`);
    expect((await refusal(readFinalizerKeys(join(dir, "twice")))).message).toContain("listed twice");
    expect((await refusal(readFinalizerKeys(join(dir, "none")))).code).toBe("SUP_ERR_FINALIZER_KEYS");
  });
});

describe("a nodeos Chain in bp mode on Spring and on leap", () => {
  async function bpChain(env: Record<string, string>, bp: Record<string, unknown> = {}, node: Record<string, unknown> = {}) {
    const signer = await startBlocksignerSim({ keys: [DEV_KEY] });
    signers.push(signer);
    const c = await simChain({ bp: { enabled: true, producerName: "eosio", blocksigner: signer.url, ...bp }, node }, env);
    chains.push(c);
    return c;
  }

  it("writes the finalizer keys and vote-threads for Spring, and leaves out a key refused as held elsewhere", async () => {
    const dir = await scratch();
    const file = join(dir, "finalizers.txt");
    // Keys the Spring simulator accepts: a public key it can pair with its private key.
    const [mine, other] = [generateFinalizerKey(), generateFinalizerKey()];
    await writeFile(file, `${mine.publicKey}=${mine.privateKey}\n${other.publicKey}=${other.privateKey}\n`);
    const c = await bpChain({ NODEOS_SIM_VERSION: "v1.2.2" }, { finalizerKeys: file });
    expect(await c.chain.release()).toBe("spring");
    expect(await c.chain.finalizerPublicKeys()).toEqual([mine.publicKey, other.publicKey]);
    c.chain.refuseFinalizerKeys([other.publicKey]);
    await c.chain.start();
    const ini = await readFile(join(c.configDir, "config.ini"), "utf8");
    expect(ini).toContain(`signature-provider = ${mine.publicKey}=KEY:${mine.privateKey}\n`);
    expect(ini).not.toContain(other.publicKey);
    expect(ini).not.toContain(other.privateKey);
    expect(ini).toMatch(/^vote-threads = 4$/m);
  });

  it("refuses producer-threads on Spring and finalizer keys on leap before nodeos starts", async () => {
    const spring = await bpChain({ NODEOS_SIM_VERSION: "v1.2.2" }, {}, { configKeys: { "producer-threads": "2" } });
    expect(await refusal(spring.chain.start())).toMatchObject({
      code: expect.stringMatching(/SUP_ERR_(OPTION_REFUSED|PREPARE)/),
      message: expect.stringContaining("producer-threads"),
    });
    expect(spring.chain.status().pid).toBeUndefined();
    const dir = await scratch();
    await writeFile(join(dir, "k"), `${BLS_PUB}=${BLS_PVT}\n`);
    const leap = await bpChain({}, { finalizerKeys: join(dir, "k") });
    expect(await refusal(leap.chain.start())).toMatchObject({ message: expect.stringContaining("needs Spring 1.x") });
  });

  it("starts leap in bp mode as before: no vote-threads, producer-threads allowed", async () => {
    const c = await bpChain({}, {}, { configKeys: { "producer-threads": "2" } });
    await c.chain.start();
    const ini = await readFile(join(c.configDir, "config.ini"), "utf8");
    expect(ini).toMatch(/^producer-threads = 2$/m);
    expect(ini).not.toContain("vote-threads");
  });
});

describe("Spring's vote lines", () => {
  it("tells production of a local finalizer's vote missing from a QC", async () => {
    const c = await simChain({});
    chains.push(c);
    const missed: unknown[] = [];
    c.chain.on("vote-missed", (m) => missed.push(m));
    const text =
      "warn  2026-12-01T12:00:00.000 nodeos    tracked_votes.cpp:160         log_missing_votes    ] Local finalizer bp.b did not vote in block 120 : 0000007812ab34cd for block 119";
    c.chain.hooks.handle({ text, stream: "stderr", truncated: false, receivedAt: Date.now() });
    c.chain.hooks.handle({
      text: "info  2026-12-01T12:00:00.000 nodeos    producer_plugin.cpp:1 x ] Received block ...",
      stream: "stderr",
      truncated: false,
      receivedAt: Date.now(),
    });
    expect(missed).toEqual([{ finalizer: "bp.b", block: 120 }]);
  });
});
