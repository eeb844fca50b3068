/**
 * End to end: `shoal sidecar` supervising a real HAProxy (`-- haproxy -W -db -f cfg`), three real
 * `shoal task` processes each running the demo's HTTP worker on fd 3. Requests through HAProxy
 * reach every task, and both roles' `/metrics` report what happened.
 *
 * Addresses: 127.90.1.x.
 */

import { equal, ok } from "node:assert/strict";
import { parsePromText, type PromSample } from "../_support/prom_text.ts";
import { waitFor } from "../_support/wait.ts";
import { Load, metricsAddr } from "../_support/cluster_e2e.ts";
import { startSidecar, startTasksUp } from "../_support/e2e_setup.ts";

const HOST = "127.90.1.1";
const TASKS = ["task-1", "task-2", "task-3"];

async function scrape(addr: string): Promise<PromSample[]> {
  const res = await fetch(`http://${addr}/metrics`, { headers: { connection: "close" } });
  equal(res.status, 200);
  return [...parsePromText(await res.text()).values()].flatMap((f) => f.samples);
}

function value(samples: PromSample[], name: string, labels: Record<string, string>): number {
  const hit = samples.find((s) =>
    s.name === name && Object.entries(labels).every(([k, v]) => s.labels.get(k) === v)
  );
  return hit?.value ?? NaN;
}

Deno.test("e2e: sidecar + HAProxy + 3 tasks, every task receives traffic; metrics agree", async () => {
  const setup = await startSidecar(HOST);
  const { files, sidecar } = setup;
  try {
    const tasks = await startTasksUp(setup, {
      names: TASKS,
      hostOf: (i) => `127.90.1.${11 + i}`,
      upWithinMs: 20_000,
    });

    const load = new Load(files.url, { ratePerS: 100, maxMs: 300 });
    const results = await load.finished();
    ok(results.length >= 20, `sent ${results.length} requests`);
    equal(load.failures().length, 0, JSON.stringify(load.failures().slice(0, 5)));
    const byTask = load.byTask();
    for (const name of TASKS) {
      ok((byTask.get(name) ?? 0) > 0, `${name} served nothing: ${[...byTask]}`);
    }

    const taskMetrics = await scrape(await metricsAddr(tasks[0]!));
    ok(value(taskMetrics, "shoal_task_announces_total", { result: "accepted" }) >= 1);
    equal(value(taskMetrics, "shoal_task_worker_state", { state: "ready" }), 1);
    const sidecarAddr = await metricsAddr(sidecar);
    // The gauge is set from the previous pass's observation, so it can lag HAProxy by one
    // periodic pass (--reconcile-interval, 10 s): wait for it rather than read it once.
    await waitFor(
      "the sidecar's servers gauge at 3",
      async () =>
        value(await scrape(sidecarAddr), "shoal_sidecar_servers", {
          backend: "shoal",
          state: "ready",
        }) === 3,
      15_000,
    );
    const sidecarMetrics = await scrape(sidecarAddr);
    ok(
      value(sidecarMetrics, "shoal_sidecar_queries_total", {
        query: "announce",
        result: "accepted",
      }) >= 3,
    );
  } finally {
    await setup.stop();
  }
});
