import { ok } from "node:assert/strict";

const CHILD = new URL("../fixtures/accept_emfile_child.ts", import.meta.url).pathname;
/** Open files the child may hold: Deno's own plus a few dozen streams. */
const NOFILE = 96;
/** More connections than the child can accept, so the backlog keeps failing accepts. */
const CONNECTIONS = 120;
const WATCH_MS = 1500;

Deno.test("the gossip accept loop backs off when accepts fail (EMFILE) instead of spinning", async () => {
  const child = new Deno.Command("prlimit", {
    args: [
      `--nofile=${NOFILE}:${NOFILE}`,
      "--",
      Deno.execPath(),
      "run",
      "-A",
      "--unstable-net",
      CHILD,
      String(WATCH_MS),
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const conns: Deno.TcpConn[] = [];
  try {
    while (!text.includes("\n")) {
      const r = await lines.read();
      if (r.done) break;
      text += r.value;
    }
    const port = Number(text.split("\n")[0]);
    ok(port > 0, `the child printed its port: ${text}`);
    for (let i = 0; i < CONNECTIONS; i++) {
      const c = await Deno.connect({ hostname: "127.0.0.1", port }).catch(() => null);
      if (c !== null) conns.push(c);
    }
    for (;;) {
      const r = await lines.read();
      if (r.done) break;
      text += r.value;
    }
    const report = JSON.parse(text.trim().split("\n").at(-1)!) as {
      failures: number;
      warnings: number;
      cpuMs: number;
    };
    ok(report.failures > 0, `accepts failed under the limit: ${text}`);
    // spinning retries thousands of times a second; backing off (5 ms doubling to 1 s) a dozen
    ok(report.failures <= 40, `${report.failures} failed accepts in ${WATCH_MS} ms`);
    ok(report.warnings <= 3, `${report.warnings} warnings for one burst of failures`);
    ok(report.cpuMs <= 500, `${report.cpuMs} ms CPU in ${WATCH_MS} ms of failing accepts`);
  } finally {
    for (const c of conns) c.close();
    await child.status;
  }
});
