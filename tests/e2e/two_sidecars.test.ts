/**
 * End to end: two sidecars, each supervising its own HAProxy, and three tasks. Every task
 * announces to both sidecars, so requests through either HAProxy reach every task; a task that
 * stops departs from both.
 *
 * Addresses: 127.90.5.x.
 */

import { equal, ok } from "node:assert/strict";
import { waitFor } from "../_support/wait.ts";
import { Load, upExactly } from "../_support/cluster_e2e.ts";
import { type SidecarSetup, startSidecar, startTasksUp } from "../_support/e2e_setup.ts";

const TASKS = ["task-1", "task-2", "task-3"];

Deno.test("e2e: two sidecars with two HAProxy instances both route to every task", async () => {
  const a = await startSidecar("127.90.5.1", {}, { name: "sidecar-a" });
  let b: SidecarSetup | undefined;
  try {
    b = await startSidecar("127.90.5.2", {}, {
      name: "sidecar-b",
      cluster: a.cluster,
      join: a.join,
    });
    const setups = [a, b];
    // Tasks join one sidecar each way; gossip tells them about the other.
    const joins = [a.join, b.join, a.join];
    const tasks = await startTasksUp(a, {
      names: TASKS,
      hostOf: (i) => `127.90.5.${11 + i}`,
      joinOf: (i) => joins[i]!,
      upWithinMs: 20_000,
    });
    await waitFor("three servers UP behind HAProxy b", () => upExactly(b!.hap, TASKS), 20_000);
    for (const { files: f } of setups) {
      const load = new Load(f.url, { ratePerS: 100, maxMs: 300 });
      await load.finished();
      equal(load.failures().length, 0, `${f.url}: ${JSON.stringify(load.failures().slice(0, 3))}`);
      for (const name of TASKS) ok((load.byTask().get(name) ?? 0) > 0, `${f.url}: ${name} idle`);
    }

    // A stop departs from both sidecars: both HAProxy instances drop the task.
    tasks[1]!.kill("SIGTERM");
    equal((await tasks[1]!.status).code, 0);
    const answers = tasks[1]!.logs().filter((l) => l.event === "task.depart.answer");
    equal(answers.length, 2, "one depart answer per sidecar");
    for (const { hap } of setups) {
      await waitFor("task-2 gone", () => upExactly(hap, ["task-1", "task-3"]), 10_000);
    }
  } finally {
    await b?.stop();
    await a.stop();
  }
});
