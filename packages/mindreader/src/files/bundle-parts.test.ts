import { mkdir, readdir, readFile, rm, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "../../test/helpers.js";
import { BundleParts } from "./bundle-parts.js";

let work: { dir: string; remove: () => Promise<void> };
beforeEach(async () => {
  work = await tempDir();
});
afterEach(async () => {
  await work.remove();
});

const BUNDLE = "0000000100.dmbundle.gz";
const name = (num: number) => `${String(num).padStart(10, "0")}-20240101T000000.0-0000abcd-0000abce-90-mr1.dmblock.gz`;
const member = (num: number) => ({ name: name(num), bytes: gzipSync(`block ${num}\n`) });

describe("bundle parts", () => {
  it("appends members back to back with an index line each, and seals them into a gzip of their contents", async () => {
    const parts = new BundleParts(work.dir);
    const first = await parts.append(BUNDLE, [member(100), member(101)]);
    const second = await parts.append(BUNDLE, [member(102)]);
    expect([...first, ...second].map((m) => m.offset)).toEqual([0, first[0]!.length, first[0]!.length + first[1]!.length]);
    expect(parts.membersOf(BUNDLE)).toEqual([...first, ...second]);
    const index = await readFile(join(work.dir, `${BUNDLE}.part.idx`), "utf8");
    expect(index).toBe([...first, ...second].map((m) => `${m.name} ${m.offset} ${m.length}\n`).join(""));
    await parts.seal(BUNDLE, join(work.dir, BUNDLE));
    expect(gunzipSync(await readFile(join(work.dir, BUNDLE))).toString()).toBe("block 100\nblock 101\nblock 102\n");
    expect(await readdir(work.dir)).toEqual([BUNDLE]);
    expect(parts.membersOf(BUNDLE)).toEqual([]);
  });

  it("keeps only the latest range's part open, reopening an earlier one to append to it again", async () => {
    const parts = new BundleParts(work.dir);
    const earlier = "0000000000.dmbundle.gz";
    await parts.append(earlier, [member(98)]);
    await parts.append(BUNDLE, [member(100)]);
    const open = async () => (await readdir("/proc/self/fd")).length;
    const before = await open();
    await parts.append("0000000200.dmbundle.gz", [member(200)]);
    // Two descriptors opened for range 200, two closed for range 100.
    expect(await open()).toBe(before);
    const [second] = await parts.append(earlier, [member(99)]);
    expect(second!.offset).toBe(parts.membersOf(earlier)[0]!.length);
    await parts.seal(earlier, join(work.dir, earlier));
    expect(gunzipSync(await readFile(join(work.dir, earlier))).toString()).toBe("block 98\nblock 99\n");
    await parts.close();
  });

  it("keeps nothing of an append that failed, and appends after it as if it had not happened", async () => {
    const parts = new BundleParts(work.dir);
    const [kept] = await parts.append(BUNDLE, [member(100)]);
    await parts.close();
    // The index cannot be opened (a directory stands in its way): the append fails, coded by the file system.
    await rm(join(work.dir, `${BUNDLE}.part.idx`));
    await mkdir(join(work.dir, `${BUNDLE}.part.idx`));
    await expect(parts.append(BUNDLE, [member(101)])).rejects.toMatchObject({ code: "EISDIR" });
    await rmdir(join(work.dir, `${BUNDLE}.part.idx`));
    await writeFile(join(work.dir, `${BUNDLE}.part.idx`), `${kept!.name} 0 ${kept!.length}\n`);
    expect((await readFile(join(work.dir, `${BUNDLE}.part`))).length).toBe(kept!.length);

    const [next] = await parts.append(BUNDLE, [member(101)]);
    expect(next!.offset).toBe(kept!.length);
    const again = new BundleParts(work.dir);
    expect(await again.list()).toEqual([BUNDLE]);
    const recovered = await again.recover(BUNDLE);
    expect(recovered).toEqual({ members: [kept, next], cutBytes: 0 });
  });

  it("recovers nothing from a part whose first member is damaged, and removes it and an index left alone", async () => {
    await writeFile(join(work.dir, `${BUNDLE}.part`), Buffer.alloc(30, 7));
    await writeFile(join(work.dir, `${BUNDLE}.part.idx`), `${name(100)} 0 30\n`);
    await writeFile(join(work.dir, "0000000000.dmbundle.gz.part.idx"), `${name(5)} 0 30\n`);
    const parts = new BundleParts(work.dir);
    expect(await parts.list()).toEqual([BUNDLE]);
    expect(await parts.recover(BUNDLE)).toEqual({ members: [], cutBytes: 30 });
    expect(await readdir(work.dir)).toEqual([]);
  });
});
