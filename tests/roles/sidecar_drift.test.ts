import { deepStrictEqual, equal } from "node:assert/strict";
import type { DesiredServer, ObservedServer, PlanStep } from "../../lib/haproxy/plan.ts";
import { DriftTracker, type PassView } from "../../lib/roles/sidecar/drift.ts";

const A: DesiredServer = { name: "shoal-a", addr: "10.0.0.1", port: 80, weight: 1, state: "ready" };
const seen = (name: string, admin: ObservedServer["admin"] = "ready"): ObservedServer => ({
  name,
  addr: "10.0.0.1",
  port: 80,
  admin,
  uweight: 1,
  checkConfigured: false,
  checkEnabled: false,
});

function view(desired: DesiredServer[], observed: ObservedServer[], steps: PlanStep[]): PassView {
  return {
    desired: new Map([["web", desired]]),
    observed: new Map([["web", observed]]),
    outcomes: steps.map((step) => ({ step })),
  };
}

const kinds = (steps: readonly PlanStep[]) => steps.map((s) => s.kind);

Deno.test("DriftTracker: announce, settle, depart and remove are routine, not drift", () => {
  const t = new DriftTracker("shoal-");
  const add: PlanStep = { kind: "add", backend: "web", server: A };
  const ready: PlanStep = { kind: "ready", backend: "web", name: A.name, healthDown: false };
  deepStrictEqual(t.pass(view([A], [], [add])).drift, []);
  deepStrictEqual(t.pass(view([A], [seen(A.name, "maint")], [ready])).drift, []);
  deepStrictEqual(t.pass(view([A], [seen(A.name)], [])).drift, []); // settled now
  const draining = { ...A, state: "drain" as const };
  const drain: PlanStep = { kind: "drain", backend: "web", name: A.name };
  deepStrictEqual(t.pass(view([draining], [seen(A.name)], [drain])).drift, []);
  deepStrictEqual(t.pass(view([draining], [seen(A.name, "drain")], [])).drift, []); // waiting
  const maint: PlanStep = { kind: "maint", backend: "web", name: A.name };
  deepStrictEqual(t.pass(view([draining], [seen(A.name, "drain")], [maint])).drift, []);
  const del: PlanStep = {
    kind: "delete",
    backend: "web",
    name: A.name,
    shutdownSessions: false,
    reason: "drained",
  };
  const last = t.pass(view([], [seen(A.name, "maint")], [del]));
  deepStrictEqual(last.drift, []);
  deepStrictEqual(last.drains, { drained: 1, deadline: 0 });
});

Deno.test("DriftTracker: a settled server changed behind our back is drift, once per repair", () => {
  const t = new DriftTracker("shoal-");
  t.pass(view([A], [], [{ kind: "add", backend: "web", server: A }]));
  t.pass(view([A], [seen(A.name)], []));
  // Someone ran `del server` by hand: the next pass adds it again.
  const readd = t.pass(view([A], [], [{ kind: "add", backend: "web", server: A }]));
  deepStrictEqual(kinds(readd.drift), ["add"]);
  // Still converging: the follow-up ready is part of the same repair.
  const ready = t.pass(view([A], [seen(A.name, "maint")], [{
    kind: "ready",
    backend: "web",
    name: A.name,
    healthDown: false,
  }]));
  deepStrictEqual(ready.drift, []);
  t.pass(view([A], [seen(A.name)], []));
  // Someone set the weight by hand.
  const weight = t.pass(view([A], [{ ...seen(A.name), uweight: 9 }], [{
    kind: "setWeight",
    backend: "web",
    name: A.name,
    weight: 1,
  }]));
  deepStrictEqual(kinds(weight.drift), ["setWeight"]);
  // A new weight announced by the task itself is not drift.
  t.pass(view([A], [seen(A.name)], []));
  const heavier = { ...A, weight: 5 };
  const announced = t.pass(view([heavier], [seen(A.name)], [{
    kind: "setWeight",
    backend: "web",
    name: A.name,
    weight: 5,
  }]));
  deepStrictEqual(announced.drift, []);
});

Deno.test("DriftTracker: an unclaimed managed server is drift; a failed task's removal is not", () => {
  const t = new DriftTracker("shoal-");
  t.pass(view([A], [], [{ kind: "add", backend: "web", server: A }]));
  const orphan = t.pass(view([A], [seen(A.name), seen("shoal-x")], [{
    kind: "maint",
    backend: "web",
    name: "shoal-x",
    shutdownSessions: true,
  }]));
  deepStrictEqual(kinds(orphan.drift), ["maint"]);
  const orphanGone = t.pass(view([A], [seen(A.name), seen("shoal-x", "maint")], [{
    kind: "delete",
    backend: "web",
    name: "shoal-x",
    shutdownSessions: true,
    reason: "undesired",
  }]));
  deepStrictEqual(orphanGone.drift, [], "one orphan is one drift, not one per step");
  // A's task failed: it leaves the desired set and is removed at once.
  const gone = t.pass(view([], [seen(A.name)], [{
    kind: "maint",
    backend: "web",
    name: A.name,
    shutdownSessions: true,
  }]));
  deepStrictEqual(gone.drift, []);
  const timeout = t.pass(view([], [seen(A.name, "maint")], [{
    kind: "delete",
    backend: "web",
    name: A.name,
    shutdownSessions: true,
    reason: "drain-timeout",
  }]));
  deepStrictEqual(timeout.drift, []);
  equal(timeout.drains.deadline, 1);
});
