/**
 * Interop: OUR task registers through a Go shoal sidecar and its HAProxy. The Go sidecar needs an
 * explicit `--backend` (it uses the name as given), has no `depart` handler and never deletes
 * servers: our task's depart gets no answer, so it must still stop within its stop budget and
 * say in its log why no sidecar answered.
 *
 * Runs in a network namespace of its own: the Go sidecar 127.0.0.11:7946, our task 127.0.0.31.
 */

import { equal, ok } from "node:assert/strict";
import { stopBudgetMs } from "../../lib/roles/task/lifecycle.ts";
import {
  BACKEND,
  Cluster,
  haproxyReader,
  Load,
  unixClient,
  whenServerNamed,
  writeHaproxyConfig,
} from "../_support/cluster_e2e.ts";
import { goNodeName, interopSkipReason, NetNs, startGoSidecar } from "../_support/go_shoal.ts";

const skip = interopSkipReason();
if (skip !== undefined) console.warn(`tests/interop skipped: ${skip}`);

const DRAIN_MS = 2000;
const KILL_MS = 5000; // shoal task's default --kill-timeout

Deno.test({
  name: "interop: our task registers through a Go shoal sidecar and stops without a depart answer",
  ignore: skip !== undefined,
  async fn() {
    const ns = await NetNs.up("sidecar");
    const cluster = new Cluster({ wrap: ns.wrap });
    const files = await writeHaproxyConfig({});
    const hap = haproxyReader(files.socket);
    const client = unixClient(files.webSocket!);
    try {
      const go = await startGoSidecar(cluster, ns, { ip: "127.0.0.11", files });
      const goName = await goNodeName(go);

      const task = await cluster.task({
        name: "t1",
        host: "127.0.0.31",
        join: ["127.0.0.11:7946"],
        drainTimeout: `${DRAIN_MS}ms`,
        extra: [`--backend=${BACKEND}`],
      });
      // The Go sidecar names the server after the node and adds it without checks.
      const inService = (s: string | undefined) =>
        s === "no check" || (s?.startsWith("UP") ?? false);
      await whenServerNamed(hap, "t1", inService, 10_000);
      const load = new Load(files.url, { ratePerS: 50, maxMs: 300, client });
      await load.finished();
      equal(load.failures().length, 0, JSON.stringify(load.failures().slice(0, 3)));
      ok((load.byTask().get("t1") ?? 0) > 0, "our task served through the Go sidecar's HAProxy");

      const t0 = performance.now();
      task.kill("SIGTERM");
      const status = await task.status;
      const stoppedMs = performance.now() - t0;
      equal(status.code, 0, task.output().slice(-2000));
      const budgetMs = stopBudgetMs({ drainTimeoutMs: DRAIN_MS, killTimeoutMs: KILL_MS });
      ok(stoppedMs < budgetMs, `stopped after ${Math.round(stoppedMs)} ms, budget ${budgetMs} ms`);

      const done = task.logs().find((l) => l.event === "task.depart.done");
      equal(done?.answered, 0, "the Go sidecar has no depart handler");
      const why = task.logs().find((l) => l.event === "task.depart.unanswered");
      ok(why !== undefined, "the task says why no sidecar answered its depart");
      const reason = String(why.reason);
      ok(reason.startsWith(`depart: no sidecar answered within 2s`), reason);
      ok(reason.includes(goName), `names the silent sidecar ${goName}: ${reason}`);
      ok(reason.includes("acknowledged"), `the Go sidecar acked the query: ${reason}`);
    } finally {
      client.close();
      await hap.close();
      await cluster.stop();
      await ns.down();
    }
  },
});
