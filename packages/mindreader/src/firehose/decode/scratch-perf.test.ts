import { readFileSync } from "node:fs";
import { test } from "vitest";
import { FirehoseDecoder } from "./index.js";
import { splitDmlog } from "./test-support/split.js";
test("perf", () => {
  const pieces = splitDmlog(readFileSync("test/fixtures/leap-13.dmlog", "utf8"));
  const blocks = pieces.filter((p) => p.inBlock);
  const bytes = blocks.reduce((n, b) => n + b.bytes.length, 0);
  const d = new FirehoseDecoder();
  for (const p of pieces) if (!p.inBlock) d.observe(p.bytes);
  for (let i = 0; i < 200; i++) for (const b of blocks) d.decode(b.bytes);
  const t0 = performance.now(); let n = 0;
  while (performance.now() - t0 < 4000) { for (const b of blocks) { d.decode(b.bytes); n++; } }
  const s = (performance.now() - t0) / 1000;
  console.log(`blocks/s ${(n / s).toFixed(0)} avg block ${(bytes / blocks.length / 1024).toFixed(1)} KiB => ${((n / s) * bytes / blocks.length / 1048576).toFixed(1)} MiB/s`);
  for (const b of blocks) { const t = performance.now(); for (let i = 0; i < 50; i++) d.decode(b.bytes); console.log(b.lines[0], (b.bytes.length/1024).toFixed(1), "KiB", ((performance.now() - t) / 50).toFixed(3), "ms"); }
});
