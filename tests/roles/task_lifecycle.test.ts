import { deepStrictEqual, strictEqual } from "node:assert/strict";
import {
  DEPART_AFTER_EXIT_MS,
  DEPART_MIN_MS,
  FAILURE_EXIT_CODE,
  stopBudgetMs,
  type TaskEffect,
  TaskLifecycle,
} from "../../lib/roles/task/lifecycle.ts";
import { exitedStatus, signaledStatus } from "../../lib/supervisor/exit_status.ts";

const types = (effects: readonly TaskEffect[]) => effects.map((e) => e.type);

function ready(drainTimeoutMs = 20_000): TaskLifecycle {
  const lc = new TaskLifecycle({ drainTimeoutMs });
  lc.onWorkerReady();
  return lc;
}

Deno.test("TaskLifecycle starts in starting and answers solicit with state starting", () => {
  const lc = new TaskLifecycle({ drainTimeoutMs: 20_000 });
  strictEqual(lc.phase, "starting");
  strictEqual(lc.state, "starting");
});

Deno.test("TaskLifecycle.onWorkerReady() sets state ready, joins, then announces", () => {
  const lc = new TaskLifecycle({ drainTimeoutMs: 20_000 });
  deepStrictEqual(lc.onWorkerReady(), [
    { type: "set-state", state: "ready" },
    { type: "join" },
    { type: "announce" },
  ]);
  strictEqual(lc.phase, "ready");
  deepStrictEqual(lc.onWorkerReady(), [], "a second ready is ignored");
});

Deno.test("TaskLifecycle health: unhealthy re-announces, healthy goes back to ready", () => {
  const lc = ready();
  deepStrictEqual(lc.onWorkerHealthy(), [], "already healthy");
  deepStrictEqual(lc.onWorkerUnhealthy(), [
    { type: "set-state", state: "unhealthy" },
    { type: "announce" },
  ]);
  strictEqual(lc.phase, "unhealthy");
  strictEqual(lc.state, "unhealthy");
  deepStrictEqual(lc.onWorkerUnhealthy(), [], "already unhealthy");
  deepStrictEqual(lc.onWorkerHealthy(), [{ type: "set-state", state: "ready" }, {
    type: "announce",
  }]);
  strictEqual(lc.phase, "ready");
});

Deno.test("TaskLifecycle.onSidecarJoined() announces only while ready or unhealthy", () => {
  const lc = new TaskLifecycle({ drainTimeoutMs: 20_000 });
  deepStrictEqual(lc.onSidecarJoined(), [], "not while starting");
  lc.onWorkerReady();
  deepStrictEqual(lc.onSidecarJoined(), [{ type: "announce" }]);
  lc.onWorkerUnhealthy();
  deepStrictEqual(lc.onSidecarJoined(), [{ type: "announce" }]);
  lc.onStopRequested();
  deepStrictEqual(lc.onSidecarJoined(), [], "not while departing");
});

Deno.test("TaskLifecycle stop: draining + depart, then stop the worker, then finish with its status", () => {
  const lc = ready(20_000);
  deepStrictEqual(lc.onStopRequested(), [
    { type: "set-state", state: "draining" },
    { type: "depart", timeoutMs: 20_000, timeoutSeconds: 20 },
  ]);
  strictEqual(lc.phase, "departing");
  strictEqual(lc.state, "draining");
  deepStrictEqual(lc.onStopRequested(), [], "a second stop request changes nothing");
  deepStrictEqual(lc.onDepartFinished(), [{ type: "stop-worker" }]);
  deepStrictEqual(lc.onDepartFinished(), [], "depart finishes once");
  deepStrictEqual(lc.onWorkerExited(signaledStatus(15)), [
    { type: "finish", code: 143, leave: true },
  ]);
  strictEqual(lc.phase, "stopped");
  deepStrictEqual(lc.onWorkerExited(exitedStatus(0)), []);
});

Deno.test("TaskLifecycle stop: the worker is never stopped before the depart finished", () => {
  const lc = ready();
  const effects = [...lc.onStopRequested(), ...lc.onWorkerUnhealthy(), ...lc.onSidecarJoined()];
  strictEqual(types(effects).includes("stop-worker"), false);
});

Deno.test("TaskLifecycle stop: a worker that dies during the depart finishes after it, with its status", () => {
  const lc = ready();
  lc.onStopRequested();
  deepStrictEqual(lc.onWorkerExited(exitedStatus(3)), [], "wait for the depart answers");
  deepStrictEqual(lc.onDepartFinished(), [{ type: "finish", code: 3, leave: true }]);
});

Deno.test("TaskLifecycle: a worker that exits by itself departs quickly, then finishes with its code", () => {
  const lc = ready(20_000);
  deepStrictEqual(lc.onWorkerExited(exitedStatus(7)), [
    { type: "set-state", state: "draining" },
    { type: "depart", timeoutMs: DEPART_AFTER_EXIT_MS, timeoutSeconds: 0 },
  ]);
  deepStrictEqual(lc.onStopRequested(), [], "a signal during that depart changes nothing");
  deepStrictEqual(lc.onDepartFinished(), [{ type: "finish", code: 7, leave: true }]);
});

Deno.test("TaskLifecycle: a worker killed by a signal finishes with 128+N", () => {
  const lc = ready();
  lc.onWorkerExited(signaledStatus(6));
  deepStrictEqual(lc.onDepartFinished(), [{ type: "finish", code: 134, leave: true }]);
});

Deno.test("TaskLifecycle: a worker that exits before ready finishes with its status, never joined", () => {
  const lc = new TaskLifecycle({ drainTimeoutMs: 20_000 });
  deepStrictEqual(lc.onWorkerExited(exitedStatus(4)), [{ type: "finish", code: 4, leave: false }]);
  deepStrictEqual(lc.onWorkerReady(), [], "too late");
});

Deno.test("TaskLifecycle: a ready timeout finishes non-zero without joining or announcing", () => {
  const lc = new TaskLifecycle({ drainTimeoutMs: 20_000 });
  const effects = lc.onStartFailed();
  deepStrictEqual(effects, [{ type: "finish", code: FAILURE_EXIT_CODE, leave: false }]);
  strictEqual(lc.phase, "stopped");
  deepStrictEqual(lc.onStartFailed(), []);
});

Deno.test("TaskLifecycle: a stop while starting stops the worker without a depart", () => {
  const lc = new TaskLifecycle({ drainTimeoutMs: 20_000 });
  deepStrictEqual(lc.onStopRequested(), [{ type: "set-state", state: "draining" }, {
    type: "stop-worker",
  }]);
  strictEqual(lc.state, "draining");
  deepStrictEqual(lc.onWorkerReady(), [], "ready after the stop is ignored");
  deepStrictEqual(lc.onWorkerExited(signaledStatus(15)), [
    { type: "finish", code: 143, leave: false },
  ]);
});

Deno.test("TaskLifecycle: a worker that survives SIGKILL finishes with a failure, leaving", () => {
  const lc = ready();
  lc.onStopRequested();
  lc.onDepartFinished();
  deepStrictEqual(lc.onStopFailed(), [{ type: "finish", code: FAILURE_EXIT_CODE, leave: true }]);
});

Deno.test("TaskLifecycle: drain-timeout 0 still sends depart with a short deadline and 0 seconds", () => {
  const lc = ready(0);
  deepStrictEqual(lc.onStopRequested()[1], {
    type: "depart",
    timeoutMs: DEPART_MIN_MS,
    timeoutSeconds: 0,
  });
});

Deno.test("TaskLifecycle: depart timeoutSeconds rounds down so the sidecar's drain ends first", () => {
  const lc = ready(2_500);
  deepStrictEqual(lc.onStopRequested()[1], { type: "depart", timeoutMs: 2_500, timeoutSeconds: 2 });
});

Deno.test("stopBudgetMs() fits the defaults inside ECS's 30 s stop timeout", () => {
  const budget = stopBudgetMs({ drainTimeoutMs: 20_000, killTimeoutMs: 5_000 });
  strictEqual(budget, 28_000);
  strictEqual(budget < 30_000, true);
});
