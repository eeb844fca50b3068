import assert from "node:assert/strict";
import { type DesiredServer, planReconcile, serverOptionsKey } from "../../lib/haproxy/mod.ts";
import { BE, input, seen, want } from "./_plan_fixtures.ts";

Deno.test("planReconcile() puts a drained server in maintenance, then deletes it after a pause", () => {
  const key = `${BE}/shoal-a`;
  const idle = { scur: 0, qcur: 0, backendQcur: 0 };
  const drained = planReconcile(input(
    [want("shoal-a", { state: "drain" })],
    [seen("shoal-a", { admin: "drain", sessions: idle })],
  ));
  assert.deepEqual(drained.steps, [{ kind: "maint", backend: BE, name: "shoal-a" }]);
  const inMaint = [seen("shoal-a", { admin: "maint", sessions: idle })];
  const early = planReconcile(input([want("shoal-a", { state: "drain" })], inMaint, {
    maintStartedMs: new Map([[key, 950]]),
    removeSettleMs: 100,
    removeDelayMs: 0,
  }));
  assert.deepEqual(early.steps, [], "no del within the settle pause");
  assert.equal(early.waiting.length, 1);
  const unknownStart = planReconcile(
    input([want("shoal-a", { state: "drain" })], inMaint, { removeDelayMs: 0 }),
  );
  assert.deepEqual(unknownStart.steps, [], "a maintenance start not seen yet counts as now");
  const late = planReconcile(input([want("shoal-a", { state: "drain" })], inMaint, {
    maintStartedMs: new Map([[key, 900]]),
    removeSettleMs: 100,
    removeDelayMs: 0,
  }));
  assert.deepEqual(late.steps, [{
    kind: "delete",
    backend: BE,
    name: "shoal-a",
    shutdownSessions: false,
    reason: "drained",
  }]);
  const busyAgain = planReconcile(input(
    [want("shoal-a", { state: "drain" })],
    [seen("shoal-a", { admin: "maint", sessions: { ...idle, scur: 1 } })],
    { maintStartedMs: new Map([[key, 0]]) },
  ));
  assert.deepEqual(busyAgain.steps, [], "sessions found again after the pause: keep waiting");
});

Deno.test("planReconcile() waits for the backend's queue before taking a drained server out", () => {
  const queued = { scur: 0, qcur: 0, backendQcur: 2 };
  for (const admin of ["drain", "maint"] as const) {
    const plan = planReconcile(input(
      [want("shoal-a", { state: "drain" })],
      [seen("shoal-a", { admin, sessions: queued })],
      { maintStartedMs: new Map([[`${BE}/shoal-a`, 0]]) },
    ));
    assert.deepEqual(plan.steps, [], admin);
    assert.equal(plan.waiting.length, 1, admin);
  }
});

Deno.test("planReconcile() replaces a server whose applied check or slowstart options changed", () => {
  const key = `${BE}/shoal-a`;
  const current = want("shoal-a", { check: { interMs: 2000, rise: 2, fall: 3 } });
  const observed = [seen("shoal-a", { checkConfigured: true, checkEnabled: true })];
  const kinds = (applied: DesiredServer | undefined, desired: DesiredServer) =>
    planReconcile(input([desired], observed, {
      appliedOptions: new Map(applied ? [[key, serverOptionsKey(applied)]] : []),
    })).steps.map((s) => s.kind === "replace" ? `replace:${s.reason}` : s.kind);
  assert.deepEqual(kinds(current, current), []);
  assert.deepEqual(kinds(current, { ...current, weight: 3 }), ["setWeight"]);
  for (
    const changed of [
      { ...current, check: { interMs: 500, rise: 2, fall: 3 } },
      { ...current, check: { interMs: 2000, rise: 1, fall: 3 } },
      { ...current, check: { interMs: 2000, rise: 2, fall: 1 } },
      { ...current, slowstartMs: 5000 },
    ]
  ) {
    assert.deepEqual(kinds(current, changed), ["replace:options"], JSON.stringify(changed));
  }
  assert.deepEqual(kinds(undefined, { ...current, slowstartMs: 5000 }), [], "unknown: assumed");
});

Deno.test("planReconcile() never plans anything for the capability probe", () => {
  const plan = planReconcile(input([], [seen("shoal-probe:capability", { admin: "maint" })]));
  assert.deepEqual(plan.steps, []);
});

Deno.test("planReconcile() reports waiting drains with their deadline", () => {
  const plan = planReconcile(input(
    [want("shoal-a", { state: "drain" })],
    [seen("shoal-a", { admin: "drain", sessions: { scur: 0, qcur: 3 } })],
    { drainStartedMs: new Map([[`${BE}/shoal-a`, 800]]) },
  ));
  assert.deepEqual(plan.waiting, [{ backend: BE, name: "shoal-a", deadlineMs: 1300 }]);
  assert.deepEqual(plan.steps, []);
});
