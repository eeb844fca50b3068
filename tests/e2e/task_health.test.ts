/**
 * End to end: a task's `/healthz` tells the truth about its registration (issue 12 item 3). A
 * task whose `--join` reaches nobody is 503 with the reason in the body, however healthy its
 * worker; once a real sidecar (with a real HAProxy) accepted its announce it is 200, and
 * `shoal_task_registered` counts the sidecars that did.
 *
 * Addresses: 127.90.42.x.
 */

import { equal, ok } from "node:assert/strict";
import { waitFor } from "../_support/wait.ts";
import { startShoal } from "../_support/shoal_process.ts";
import { Cluster, DEMO_WORKER, freePortOn, metricsAddr } from "../_support/cluster_e2e.ts";
import { type SidecarSetup, startSidecar, startTasksUp } from "../_support/e2e_setup.ts";

async function healthz(addr: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://${addr}/healthz`);
  return { status: res.status, body: await res.text() };
}

async function registered(addr: string): Promise<number> {
  const text = await (await fetch(`http://${addr}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith("shoal_task_registered "));
  return Number(line?.split(" ")[1] ?? NaN);
}

Deno.test("e2e: a task nobody registered is unhealthy; registered by a sidecar, it is healthy", async () => {
  const cluster = new Cluster();
  let setup: SidecarSetup | undefined;
  try {
    const lonely = cluster.track(startShoal([
      "task",
      "--node=task-lonely",
      "--bind=127.90.42.11:0",
      `--join=127.90.42.11:${freePortOn("127.90.42.11")}`, // nobody there
      "--rpc-addr=",
      "--metrics-addr=127.90.42.11:0",
      "--listen-addr=127.90.42.11:0",
      "--",
      Deno.execPath(),
      "run",
      "-A",
      DEMO_WORKER,
    ]));
    await lonely.waitForLog("task.ready", undefined, 30_000);
    const lonelyAddr = await metricsAddr(lonely);
    const h = await healthz(lonelyAddr);
    equal(h.status, 503, h.body);
    ok(h.body.includes("no sidecar has accepted"), h.body);
    equal(await registered(lonelyAddr), 0);

    // Started in the same Cluster (the test's processes), so one stop ends every process.
    setup = await startSidecar("127.90.42.1", {}, { cluster });
    const task = (await startTasksUp(setup, {
      names: ["task-1"],
      hostOf: () => "127.90.42.12",
      upWithinMs: 20_000,
    }))[0]!;
    const addr = await metricsAddr(task);
    await waitFor("healthy once registered", async () => (await healthz(addr)).status === 200);
    equal(await registered(addr), 1);
  } finally {
    await (setup?.stop() ?? cluster.stop());
  }
});
