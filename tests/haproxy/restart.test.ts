import assert from "node:assert/strict";
import { MemoryLogger } from "../../lib/log/logger.ts";
import { type DesiredServer, Reconciler, RuntimeClient } from "../../lib/haproxy/mod.ts";
import { get, HaproxyProcess, startUpstream, waitFor, withDeadline } from "../_support/haproxy.ts";
import { systemClock } from "../../lib/clock.ts";

function server(name: string, addr: string, port: number, over: Partial<DesiredServer> = {}) {
  return { name, addr, port, weight: 1, state: "ready" as const, ...over };
}

Deno.test("Reconciler: after an HAProxy restart the desired servers route again within 2 s", async () => {
  await using hap = await HaproxyProcess.start();
  const a = startUpstream("a", "127.0.0.2");
  const log = new MemoryLogger();
  const client = new RuntimeClient({ clock: systemClock, socketPath: hap.socketPath, logger: log });
  const rec = new Reconciler(client, {
    backends: ["be_app"],
    logger: log,
    periodMs: 1000,
    retryMs: 50,
  });
  try {
    await rec.start();
    rec.setDesired("be_app", [
      server("shoal-a", "127.0.0.2", a.port, { check: { interMs: 100, rise: 1 } }),
    ]);
    await rec.settled();
    await waitFor("routing before the restart", async () => (await get(hap.url())).body === "a");

    await hap.restart();
    const back = performance.now();
    await waitFor("routing after the restart", async () => {
      const res = await get(hap.url());
      return res.status === 200 && res.body === "a";
    }, { timeoutMs: 2000 });
    const elapsed = performance.now() - back;
    assert.ok(elapsed < 2000, `${elapsed} ms`);
    await waitFor(
      "the restart to be logged",
      () => log.named("haproxy.restart.detected").length > 0,
    );
  } finally {
    await rec.stop();
    await client.close();
    await a.close();
  }
});

Deno.test("Reconciler leaves a soft-stopping process after a reload and re-adds servers", async () => {
  await using hap = await HaproxyProcess.start();
  const a = startUpstream("a", "127.0.0.2");
  const log = new MemoryLogger();
  const client = new RuntimeClient({ clock: systemClock, socketPath: hap.socketPath, logger: log });
  const rec = new Reconciler(client, { backends: ["be_app"], logger: log, periodMs: 200 });
  try {
    await rec.start();
    rec.setDesired("be_app", [server("shoal-a", "127.0.0.2", a.port)]);
    await rec.settled();
    const { oldExited } = await hap.reload();
    const reloaded = performance.now();
    await waitFor("routing in the new process", async () => {
      const res = await get(hap.url());
      return res.status === 200 && res.body === "a";
    }, { timeoutMs: 2000 });
    assert.ok(performance.now() - reloaded < 2000);
    // Our persistent connection no longer pins the old process.
    await withDeadline("the old process to exit", oldExited, 5000);
    assert.ok(log.named("haproxy.connection.stale").length >= 1);
    assert.ok(log.named("haproxy.restart.detected").length >= 1);
  } finally {
    await rec.stop();
    await client.close();
    await a.close();
  }
});
