/**
 * `shoal task` as a real process, about how it ends (issue 12 items 4 and 5): a SIGKILL of only
 * the task process takes its worker with it (no orphan serving traffic nobody registers), and a
 * worker that exits 0 before it is ready is a failed start (non-zero exit).
 *
 * Addresses: 127.0.1.6x.
 */

import { equal, notEqual } from "node:assert/strict";
import { freePort, waitFor } from "../_support/serf_agent.ts";
import { startShoal } from "../_support/shoal_process.ts";

const WORKER = new URL("../_support/workers/http_worker.py", import.meta.url).pathname;

function task(node: string, host: string, worker: string[]) {
  return startShoal([
    "task",
    `--node=${node}`,
    `--bind=${host}:${freePort()}`,
    `--join=${host}:${freePort()}`, // nobody there: the task keeps retrying
    "--rpc-addr=",
    "--profile=local",
    `--listen-addr=${host}:0`,
    "--",
    ...worker,
  ]);
}

/** True while `pid` exists and is not a zombie. */
function running(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

Deno.test("shoal task: SIGKILL of the task process alone takes its worker with it", async () => {
  const proc = task("task-orphan", "127.0.1.61", ["python3", WORKER]);
  let worker = 0;
  try {
    worker = Number((await proc.waitForLog("task.ready")).pid);
    equal(running(worker), true);
    Deno.kill(proc.pid, "SIGKILL"); // the task only, not its process group
    await proc.status;
    await waitFor("the worker to die with its task", () => !running(worker), 3_000, 20);
  } finally {
    if (worker > 0 && running(worker)) Deno.kill(worker, "SIGKILL");
    await proc.stop();
  }
});

Deno.test("shoal task: a worker that exits 0 before it is ready is a failed start", async () => {
  const proc = task("task-exit0", "127.0.1.62", ["python3", WORKER, "--exit", "0"]);
  try {
    const status = await proc.status;
    notEqual(status.code, 0, proc.output());
    await proc.waitForLog("task.start_failed");
  } finally {
    await proc.stop();
  }
});
