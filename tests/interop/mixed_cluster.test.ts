/**
 * Interop: a mixed cluster, one sidecar of each kind (ours and the Go shoal's, each supervising
 * its own HAProxy) and one task of each kind. Every task is routed through both HAProxies; when
 * our task stops, our sidecar answers its depart and drops it, and the task says the Go sidecar
 * stayed silent.
 *
 * Runs in a network namespace of its own: our sidecar 127.0.0.10:7946, the Go sidecar
 * 127.0.0.11:7946, our task 127.0.0.31, the Go task 127.0.0.21.
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
  whenServerNamed,
  writeHaproxyConfig,
} from "../_support/cluster_e2e.ts";
import {
  goJoined,
  goNodeName,
  goWorker,
  interopSkipReason,
  NetNs,
  startGoSidecar,
  startGoTask,
} from "../_support/go_shoal.ts";

const skip = interopSkipReason();
if (skip !== undefined) console.warn(`tests/interop skipped: ${skip}`);

const up = (s: string | undefined) => s?.startsWith("UP") ?? false;
const inService = (s: string | undefined) => s === "no check" || up(s);

Deno.test({
  name: "interop: a mixed cluster routes every task through both HAProxies",
  ignore: skip !== undefined,
  async fn() {
    const ns = await NetNs.up("mixed");
    const cluster = new Cluster({ wrap: ns.wrap });
    const ours = await writeHaproxyConfig({});
    const theirs = await writeHaproxyConfig({});
    const readers = [haproxyReader(ours.socket), haproxyReader(theirs.socket)] as const;
    const clients = [unixClient(ours.webSocket!), unixClient(theirs.webSocket!)];
    try {
      await cluster.sidecar({ name: "sidecar", host: "127.0.0.10", port: 7946, files: ours });
      const goSidecar = await startGoSidecar(cluster, ns, {
        ip: "127.0.0.11",
        files: theirs,
        join: "127.0.0.10:7946",
      });
      const goSidecarName = await goNodeName(goSidecar);

      const task = await cluster.task({
        name: "t1",
        host: "127.0.0.31",
        join: ["127.0.0.10:7946"],
        drainTimeout: "2s",
        extra: [`--backend=${BACKEND}`],
      });
      // The Go sidecar uses the backend name as given: the Go task names it.
      const goTask = startGoTask(cluster, ns, {
        ip: "127.0.0.21",
        join: "127.0.0.11:7946",
        worker: goWorker(`${theirs.dir}/worker.jsonl`, "go-task"),
        backend: true,
      });
      const goTaskName = await goNodeName(goTask);
      await goJoined(goTask);

      await whenServer(readers[0], "t1", up, 10_000);
      await whenServer(readers[0], goTaskName, up, 10_000);
      await whenServerNamed(readers[1], "t1", inService, 10_000);
      await whenServerNamed(readers[1], goTaskName, inService, 10_000);
      for (const [i, f] of [ours, theirs].entries()) {
        const load = new Load(f.url, { ratePerS: 50, maxMs: 400, client: clients[i]! });
        await load.finished();
        const which = i === 0 ? "our HAProxy" : "the Go sidecar's HAProxy";
        equal(
          load.failures().length,
          0,
          `${which}: ${JSON.stringify(load.failures().slice(0, 3))}`,
        );
        for (const name of ["t1", "go-task"]) {
          ok((load.byTask().get(name) ?? 0) > 0, `${which} never routed to ${name}`);
        }
      }

      // Our task stops: our sidecar answers its depart and drops it; the Go sidecar stays silent.
      task.kill("SIGTERM");
      equal((await task.status).code, 0, task.output().slice(-2000));
      await whenServer(readers[0], "t1", (s) => s === undefined, 15_000);
      const answers = task.logs().filter((l) => l.event === "task.depart.answer");
      equal(answers.map((l) => l.sidecar).join(), "sidecar", "only our sidecar answers depart");
      const why = String(task.logs().find((l) => l.event === "task.depart.unanswered")?.reason);
      ok(why.startsWith("depart: 1 of 2 sidecars did not answer within 2s"), why);
      ok(why.includes(`${goSidecarName} acknowledged`), why);
      ok(
        (await readers[0].stat(BACKEND)).some((r) => r.service === serverOf(goTaskName)),
        "the Go task stays in our HAProxy",
      );
    } finally {
      for (const c of clients) c.close();
      for (const r of readers) await r.close();
      await cluster.stop();
      await ns.down();
    }
  },
});
