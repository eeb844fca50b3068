/**
 * End to end: two sidecars, each supervising its own HAProxy, and three tasks. Every task
 * announces to both sidecars, so requests through either HAProxy reach every task; a task that
 * stops departs from both.
 *
 * Addresses: 127.90.5.x.
 */

import { equal, ok } from "node:assert/strict";
import { waitFor } from "../_support/wait.ts";
import {
  Cluster,
  freePortOn,
  gossipAddr,
  haproxyReader,
  Load,
  upExactly,
  writeHaproxyConfig,
} from "../_support/cluster_e2e.ts";

const TASKS = ["task-1", "task-2", "task-3"];

Deno.test("e2e: two sidecars with two HAProxy instances both route to every task", async () => {
  const cluster = new Cluster();
  const hosts = ["127.90.5.1", "127.90.5.2"];
  const files = await Promise.all(
    hosts.map((h) => writeHaproxyConfig({ web: `${h}:${freePortOn(h)}` })),
  );
  const readers = files.map((f) => haproxyReader(f.socket));
  try {
    const a = await cluster.sidecar({ name: "sidecar-a", host: hosts[0]!, files: files[0]! });
    const b = await cluster.sidecar({
      name: "sidecar-b",
      host: hosts[1]!,
      files: files[1]!,
      join: [await gossipAddr(a)],
    });
    // Tasks join one sidecar each way; gossip tells them about the other.
    const joins = [[await gossipAddr(a)], [await gossipAddr(b)], [await gossipAddr(a)]];
    const tasks = await Promise.all(
      TASKS.map((name, i) => cluster.task({ name, host: `127.90.5.${11 + i}`, join: joins[i]! })),
    );
    for (const [i, r] of readers.entries()) {
      await waitFor(`three servers UP behind HAProxy ${i}`, () => upExactly(r, TASKS), 20_000);
    }
    for (const f of files) {
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
    for (const r of readers) {
      await waitFor("task-2 gone", () => upExactly(r, ["task-1", "task-3"]), 10_000);
    }
  } finally {
    for (const r of readers) await r.close();
    await cluster.stop();
  }
});
