// Drives a file:// store of the built package in a process of its own, for faults that need one:
// descriptors exhausted (run it under `ulimit -n`), read-only and full filesystems (run it in a mount
// namespace), another user's files (run it as an unprivileged user). Prints one JSON line of outcomes.
// Arguments: MODE ROOT, MODE one of fds | mounts | user.
import { closeSync, openSync, readdirSync, writeSync } from "node:fs";
import { join } from "node:path";
import { openStore } from "../../dist/index.js";

const [mode, root] = process.argv.slice(2);
const report = (value) => writeSync(1, `${JSON.stringify(value)}\n`);

// "ok" (or what the op returned, as text) when it succeeds, else the error's code and message.
async function outcome(op) {
  try {
    const value = await op();
    return value === undefined ? "ok" : String(value);
  } catch (error) {
    return `${error.code ?? error.name}: ${error.message}`;
  }
}

// Opens descriptors until EMFILE and gives them back after `ms`.
function exhaustDescriptors(ms) {
  const held = [];
  for (;;) {
    try {
      held.push(openSync("/dev/null", "r"));
    } catch (error) {
      if (error.code !== "EMFILE") throw error;
      break;
    }
  }
  setTimeout(() => {
    for (const fd of held.splice(0)) closeSync(fd);
  }, ms);
  return held.length;
}

if (mode === "fds") {
  // Backoff 100, 200, 400, 800, 1000 ms: the descriptors come back after 300 ms, well within.
  const store = openStore(`file://${root}`, { retry: { baseDelayMs: 100, maxDelayMs: 1_000, random: () => 1 } });
  const once = openStore(`file://${root}`, { retries: 0 });
  const out = { held: exhaustDescriptors(300) };
  out.put = await outcome(() => store.put("a/b", "written while descriptors ran out"));
  exhaustDescriptors(300);
  out.read = await outcome(async () => (await store.getBytes("a/b")).toString());
  exhaustDescriptors(300);
  out.once = await outcome(() => once.put("a/c", "tried once"));
  report(out);
} else if (mode === "mounts") {
  // ROOT/full: a 256 KiB tmpfs; ROOT/ro: a tmpfs remounted read-only, holding store/k/x.
  const full = openStore(`file://${join(root, "full", "store")}`, { retry: { baseDelayMs: 1, maxDelayMs: 1 } });
  const ro = openStore(`file://${join(root, "ro", "store")}`, { retry: { baseDelayMs: 1, maxDelayMs: 1 } });
  report({
    fullPut: await outcome(() => full.put("big", Buffer.alloc(1024 * 1024, 7))),
    fullTemps: readdirSync(join(root, "full", "store", ".tmp")).length,
    roPut: await outcome(() => ro.put("k/y", "v")),
    roRead: await outcome(async () => (await ro.getBytes("k/x")).toString().trim()),
    roDelete: await outcome(() => ro.delete("k/x")),
  });
} else if (mode === "user") {
  // ROOT/own: root's, mode 0755, holding k/x; ROOT/sticky: mode 1777, holding root's x.
  const own = openStore(`file://${join(root, "own")}`, { retry: { baseDelayMs: 1, maxDelayMs: 1 } });
  const sticky = openStore(`file://${join(root, "sticky")}`, { retry: { baseDelayMs: 1, maxDelayMs: 1 } });
  report({
    put: await outcome(() => own.put("k/y", "v")),
    read: await outcome(async () => (await own.getBytes("k/x")).toString().trim()),
    delete: await outcome(() => own.delete("k/x")),
    stickyDelete: await outcome(() => sticky.delete("x")),
  });
} else {
  throw new Error(`unknown mode ${mode}`);
}
