import assert from "node:assert/strict";
import { HaproxyProcess } from "../_support/haproxy.ts";

/** Command lines of running processes that mention `needle`. */
async function processesMentioning(needle: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const cmdline = (await Deno.readTextFile(`/proc/${entry.name}/cmdline`)).replaceAll(
        "\0",
        " ",
      );
      if (cmdline.includes(needle)) found.push(cmdline);
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

async function dirsStartingWith(prefix: string): Promise<string[]> {
  const tmp = Deno.env.get("TMPDIR") ?? "/tmp";
  const found: string[] = [];
  for await (const entry of Deno.readDir(tmp)) {
    if (entry.name.startsWith(prefix)) found.push(entry.name);
  }
  return found;
}

Deno.test("HaproxyProcess.start() kills haproxy and removes its directory when startup times out", async () => {
  const dirPrefix = `shoal-haproxy-timeout-${crypto.randomUUID().slice(0, 8)}-`;
  await assert.rejects(
    HaproxyProcess.start({ readyTimeoutMs: 0, dirPrefix }),
    /Timed out after 0 ms waiting for haproxy/,
  );
  assert.deepEqual(await processesMentioning(dirPrefix), [], "no haproxy left running");
  assert.deepEqual(await dirsStartingWith(dirPrefix), [], "no temporary directory left");
});
