import { deepStrictEqual as assertEq, ok } from "node:assert/strict";
import {
  childPids,
  httpGet,
  launchSupervisor,
  requirePython,
  requireUnshare,
  type SupervisorProcess,
  waitFor,
  workerPath,
  zombieChildren,
} from "../_support/supervisor.ts";

const PY_WORKER = ["python3", workerPath("http_worker.py")];

async function readyPort(run: SupervisorProcess): Promise<number> {
  await run.event("ready");
  const listening = await run.event("listening");
  return (listening.address as { port: number }).port;
}

Deno.test("run_supervisor: SIGTERM stops the worker and the process exits with its status 7", async () => {
  requirePython();
  const run = launchSupervisor(["--listen", "127.0.0.1:0", "--", ...PY_WORKER, "--term-exit", "7"]);
  try {
    await readyPort(run);
    run.process.kill("SIGTERM");
    assertEq(await run.code, 7);
    assertEq(run.events.filter((e) => e.ev === "exited").length, 1);
  } finally {
    await run.kill();
  }
});

Deno.test("run_supervisor: SIGHUP sent to the supervisor reaches the worker", async () => {
  requirePython();
  const run = launchSupervisor(["--listen", "127.0.0.1:0", "--", ...PY_WORKER]);
  try {
    const port = await readyPort(run);
    run.process.kill("SIGHUP");
    await waitFor(
      "worker counted one SIGHUP",
      async () => JSON.parse((await httpGet("127.0.0.1", port, "/info")).body).hups === 1,
    );
    run.process.kill("SIGTERM");
    assertEq(await run.code, 0);
  } finally {
    await run.kill();
  }
});

Deno.test("run_supervisor: a ready timeout exits 1 without a ready event", async () => {
  requirePython();
  const run = launchSupervisor([
    "--listen",
    "127.0.0.1:0",
    "--ready-timeout",
    "500ms",
    "--",
    ...PY_WORKER,
    "--never-accept",
  ]);
  try {
    assertEq(await run.code, 1);
    assertEq((await run.event("error")).name, "ReadyTimeoutError");
    ok(!run.events.some((e) => e.ev === "ready"));
  } finally {
    await run.kill();
  }
});

/** Host pid of the supervisor running as PID 1 inside `unshare --pid --fork`. */
async function namespaceInit(run: SupervisorProcess): Promise<number> {
  return await waitFor("unshare's child", () => childPids(run.process.pid)[0]);
}

/** Makes the worker double-fork `n` grandchildren that exit at once, re-parented to PID 1. */
async function makeOrphans(port: number, n: number): Promise<void> {
  assertEq((await httpGet("127.0.0.1", port, `/orphans?n=${n}`)).status, 200);
}

Deno.test("run_supervisor as PID 1: orphaned grandchildren are reaped and the worker's status is kept", async () => {
  requirePython();
  requireUnshare();
  const run = launchSupervisor(
    ["--listen", "127.0.0.1:0", "--", ...PY_WORKER, "--term-exit", "7"],
    { pid1: true },
  );
  try {
    const port = await readyPort(run);
    const init = await namespaceInit(run);
    await makeOrphans(port, 5);
    await waitFor("no zombie children of PID 1", () => zombieChildren(init).length === 0);
    Deno.kill(init, "SIGTERM");
    assertEq(await run.code, 7);
    const reaper = await run.event("reaper");
    assertEq(reaper.orphansReaped, 5);
  } finally {
    await run.kill();
  }
});

Deno.test("run_supervisor as PID 1 with per-pid reaping leaves zombies (control for the test above)", async () => {
  requirePython();
  requireUnshare();
  const run = launchSupervisor(
    ["--listen", "127.0.0.1:0", "--reap", "pid", "--", ...PY_WORKER, "--term-exit", "7"],
    { pid1: true },
  );
  try {
    const port = await readyPort(run);
    const init = await namespaceInit(run);
    await makeOrphans(port, 3);
    await waitFor("three zombies under PID 1", () => zombieChildren(init).length === 3);
    Deno.kill(init, "SIGTERM");
    assertEq(await run.code, 7);
  } finally {
    await run.kill();
  }
});

Deno.test("run_supervisor as PID 1: a worker that forks and exits leaves no zombies and keeps its status 7", async () => {
  requirePython();
  requireUnshare();
  // Three children exit 9 and are never waited for; when the worker exits 7 they are zombies
  // re-parented to PID 1, collected in the same waitpid(-1) pass as the worker itself.
  // waitid(WNOWAIT) makes sure each child has exited (is a zombie) without reaping it.
  const script = "import os\nfor _ in range(3):\n    pid = os.fork() or os._exit(9)\n" +
    "    os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)\nos._exit(7)";
  const run = launchSupervisor(
    ["--listen", "127.0.0.1:0", "--ready", "delay:5s", "--", "python3", "-c", script],
    { pid1: true },
  );
  try {
    assertEq(await run.code, 7);
    assertEq((await run.event("reaper")).orphansReaped, 3);
  } finally {
    await run.kill();
  }
});
