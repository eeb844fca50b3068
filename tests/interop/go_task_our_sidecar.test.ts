/**
 * Interop: a Go shoal task with its default flags registers through OUR sidecar and its HAProxy,
 * serves requests through it, and is removed when it stops. The Go task's default backend is the
 * literal `<none_backend>`, which our sidecar takes as "no backend named" (its default backend).
 *
 * Runs in a network namespace of its own (the Go shoal takes its gossip address from EC2 IMDS):
 * our sidecar 127.0.0.10:7946, the Go task 127.0.0.21.
 */

import { equal, ok } from "node:assert/strict";
import {
  BACKEND,
  Cluster,
  haproxyReader,
  Load,
  serverOf,
  unixClient,
  whenServer,
  writeHaproxyConfig,
} from "../_support/cluster_e2e.ts";
import {
  goNodeName,
  goWorker,
  interopSkipReason,
  NetNs,
  startGoTask,
} from "../_support/go_shoal.ts";

const skip = interopSkipReason();
if (skip !== undefined) console.warn(`tests/interop skipped: ${skip}`);

Deno.test({
  name: "interop: a Go shoal task with default flags registers through our sidecar and departs",
  ignore: skip !== undefined,
  async fn() {
    const ns = await NetNs.up("task");
    const cluster = new Cluster({ wrap: ns.wrap });
    const files = await writeHaproxyConfig({});
    const hap = haproxyReader(files.socket);
    const client = unixClient(files.webSocket!);
    try {
      const sidecar = await cluster.sidecar({
        name: "sidecar",
        host: "127.0.0.10",
        port: 7946,
        files,
      });
      const events = `${files.dir}/worker.jsonl`;
      const go = startGoTask(cluster, ns, {
        ip: "127.0.0.21",
        join: "127.0.0.10:7946",
        worker: goWorker(events, "go-task"),
      });
      const name = await goNodeName(go);

      const announce = await sidecar.waitForLog(
        "sidecar.announce",
        (l) => l.member === name,
        20_000,
      );
      equal(announce.accepted, true, `refused: ${announce.reason}`);
      equal(announce.backend, BACKEND, "its <none_backend> means our default backend");
      await whenServer(hap, name, (s) => s?.startsWith("UP") ?? false, 10_000);

      const load = new Load(files.url, { ratePerS: 50, maxMs: 300, client });
      await load.finished();
      equal(load.failures().length, 0, JSON.stringify(load.failures().slice(0, 3)));
      ok((load.byTask().get("go-task") ?? 0) > 0, "the Go task served through HAProxy");

      // SIGTERM: the Go task leaves the cluster (or dies in its own `leave after shutdown` panic,
      // which gossip reports as a failure); either way our sidecar removes its server.
      go.kill("SIGTERM");
      await whenServer(hap, name, (s) => s === undefined, 30_000);
      ok(
        sidecar.logs().some((l) => l.event === "haproxy.server.add" && l.server === serverOf(name)),
        "the server was added by our sidecar",
      );
    } finally {
      client.close();
      await hap.close();
      await cluster.stop();
      await ns.down();
    }
  },
});
