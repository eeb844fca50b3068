/**
 * End to end with HAProxy outside the sidecar (started by the test, the sidecar run without
 * `--`): a SIGKILLed sidecar is replaced without any healthy server leaving HAProxy (the new one
 * adopts what it finds and rebuilds its registry from the tasks' `solicit` answers), and a
 * restarted HAProxy (empty) gets its servers back at once.
 *
 * Addresses: 127.90.4.x (HAProxy's frontend on 127.0.0.1).
 */

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { waitFor } from "../_support/wait.ts";
import type { ShoalProcess } from "../_support/shoal_process.ts";
import { type UpWatch, watchUp } from "../_support/up_watch.ts";
import {
  BACKEND,
  Cluster,
  freePortOn,
  gossipAddr,
  Load,
  servers,
  upExactly,
} from "../_support/cluster_e2e.ts";
import { startExternalHaproxy } from "../_support/e2e_setup.ts";

const HOST = "127.90.4.1";
const TASKS = ["task-1", "task-2", "task-3"];

Deno.test("e2e: a restarted sidecar removes no healthy server; a restarted HAProxy gets them back", async () => {
  const cluster = new Cluster();
  const { haproxy: hap, files, reader } = await startExternalHaproxy({
    dirPrefix: "shoal-e2e-hap-",
  });
  let load: Load | undefined;
  let watch: UpWatch | undefined;
  try {
    const port = freePortOn(HOST);
    const first = await cluster.sidecar({
      name: "sidecar",
      host: HOST,
      port,
      files,
      supervise: false,
    });
    const join = [await gossipAddr(first)];
    const tasks = await Promise.all(
      TASKS.map((name, i) => cluster.task({ name, host: `127.90.4.${11 + i}`, join })),
    );
    await waitFor("three servers UP", () => upExactly(reader, TASKS), 20_000);

    load = new Load(hap.url(BACKEND), { ratePerS: 50, maxMs: 20_000 });
    watch = watchUp(() => upExactly(reader, TASKS));
    first.kill("SIGKILL");
    await first.status;
    const taskGossip = await gossipAddr(tasks[0]!);
    const second: ShoalProcess = await cluster.sidecar({
      name: "sidecar",
      host: HOST,
      port,
      files,
      supervise: false,
      join: [taskGossip],
    });
    const adopted = second.logs().filter((l) => l.event === "sidecar.server.adopted");
    equal(adopted.length, 3, "the new sidecar adopts the three servers it finds");
    // Every task is registered again, through the new sidecar's solicit or through the task's own
    // announce to a sidecar that (re)appeared, whichever comes first.
    for (const node of TASKS) {
      await second.waitForLog(
        "sidecar.announce",
        (l) =>
          (l.via === "solicit" || l.via === "announce") && l.member === node &&
          l.accepted === true,
        15_000,
      );
    }
    // A full reconcile pass after the registry is rebuilt: still nothing removed.
    await waitFor(
      "one more HAProxy pass",
      () => second.logs().filter((l) => l.event === "haproxy.reconcile.pass").length >= 3,
      15_000,
    );
    await watch.stop();
    const results = await load.stop();
    deepStrictEqual(watch.gaps, [], "a healthy server left rotation during the restart");
    deepStrictEqual(load.failures(), [], `of ${results.length} requests`);
    equal(second.logs().filter((l) => l.event === "haproxy.server.delete").length, 0);

    // HAProxy itself crashes and comes back empty: the sidecar re-adds every server.
    await hap.restart();
    const restartedAt = performance.now();
    await waitFor(
      "three servers back",
      async () => (await servers(reader)).length === 3,
      5_000,
      20,
    );
    const backMs = performance.now() - restartedAt;
    await waitFor("three servers UP again", () => upExactly(reader, TASKS), 5_000, 20);
    const upMs = performance.now() - restartedAt;
    console.log(
      `HAProxy restart: servers back after ${backMs.toFixed(0)} ms, UP after ${upMs.toFixed(0)} ms`,
    );
    ok(backMs < 2000, `servers back after ${backMs.toFixed(0)} ms`);
  } finally {
    await watch?.stop();
    await load?.stop();
    await reader.close();
    await cluster.stop();
    await hap.stop();
  }
});
