import { join } from "node:path";
import { openStore } from "@manageos/core";
import { decodeBlockFiles, parseOneBlockFileName } from "@manageos/mindreader";
import { readDirtyFlag, startManageos, stateFilePath, tempDir } from "@manageos/testkit";
import { describe, expect, it } from "vitest";

describe("bos-mindreader supervising nodeos-sim with deep-mind", () => {
  it("writes linked one-block files up to --stop-block-num, then stops the node cleanly", async () => {
    const dir = await tempDir("bos-mr-");
    const blockStore = `file://${join(dir, "blocks")}`;
    const mr = await startManageos({
      app: "bos-mindreader",
      dir,
      // The dmlog format, whose files this test decodes (Firehose files are tested in the eos-mindreader app).
      config: { mindreader: { workDir: join(dir, "work"), blockStore, format: "dmlog" } },
      args: ["--stop-block-num", "30"],
    });
    try {
      await mr.process.waitForLine(/node stopped by the mindreader/, { stream: "stdout", timeoutMs: 30_000 });
      expect(await readDirtyFlag(stateFilePath(join(dir, "data")))).toBe(false);
      const store = openStore(blockStore);
      // Uploads go on after the node stopped; wait (bounded) for the last one.
      const deadline = Date.now() + 20_000;
      let keys: string[] = [];
      while (keys.length < 29 && Date.now() < deadline) {
        keys = [];
        for await (const object of store.list("one-blocks/")) keys.push(object.key);
        if (keys.length < 29) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const files = keys.sort().map((key) => parseOneBlockFileName(key.slice("one-blocks/".length))!);
      expect(files.map((f) => f.num)).toEqual(Array.from({ length: 29 }, (_, i) => i + 2));
      for (let i = 1; i < files.length; i++) expect(files[i]!.previousTail).toBe(files[i - 1]!.idTail);
      const [last] = await decodeBlockFiles(await store.getBytes(keys.at(-1)!));
      expect(last?.header).toMatchObject({ num: 30, version: "leap-13" });
      const status = (await (await fetch(`${mr.api}/v1/manageos/status`)).json()) as { app: string; state: string };
      expect(status).toMatchObject({ app: "bos-mindreader", state: "stopped" });
    } finally {
      expect(await mr.stop(20_000)).toEqual({ code: 0, signal: null });
    }
  });
});
