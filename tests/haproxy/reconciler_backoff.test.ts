import assert from "node:assert/strict";
import { MemoryLogger } from "../../lib/log/logger.ts";
import { Reconciler, RETRY_DELAY_MAX_MS, RuntimeClient } from "../../lib/haproxy/mod.ts";
import { HaproxyProcess, waitFor } from "../_support/haproxy.ts";
import { systemClock } from "../../lib/clock.ts";

Deno.test("Reconciler backs off while HAProxy is gone instead of retrying in a tight loop", async () => {
  const hap = await HaproxyProcess.start();
  const log = new MemoryLogger();
  const client = new RuntimeClient({ clock: systemClock, socketPath: hap.socketPath, logger: log });
  const rec = new Reconciler(client, { backends: ["be_app"], logger: log, retryMs: 100 });
  try {
    await rec.start();
    rec.setDesired("be_app", []);
    await rec.settled();
    await hap.stop();
    rec.trigger();
    await waitFor("first failure", () => log.named("haproxy.reconcile.failed").length > 0);
    const start = performance.now();
    await new Promise((r) => setTimeout(r, 1600)); // an observation window, not a synchronisation
    const failures = log.named("haproxy.reconcile.failed");
    // 100, 200, 400, 800 ms: at most 5 attempts in 1.6 s (a coalescing loop made hundreds)
    assert.ok(
      failures.length <= 5,
      `${failures.length} failed passes in ${performance.now() - start} ms`,
    );
    const delays = failures.map((f) => f.fields.retryMs as number);
    assert.deepEqual(delays.slice(0, 3), [100, 200, 400]);
    assert.ok(delays.every((d) => d <= RETRY_DELAY_MAX_MS));
  } finally {
    await rec.stop();
    await client.close();
    await hap.stop();
  }
});
