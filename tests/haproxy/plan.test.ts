import assert from "node:assert/strict";
import {
  type ObservedServer,
  planReconcile,
  type PlanStep,
  rampedWeight,
  REMOVE_DELAY_MS,
} from "../../lib/haproxy/mod.ts";
import { nextPassDelayMs } from "../../lib/haproxy/schedule.ts";
import { BE, input, seen, want } from "./_plan_fixtures.ts";

type DesiredCase = "absent" | "ready" | "drain";
type ObservedCase = "absent" | "ready" | "drain" | "maint";
type Sessions = "unknown" | "idle" | "busy";

/** The expected outcome for one server, as a decision table independent of the implementation. */
function expected(
  d: DesiredCase,
  o: ObservedCase,
  moved: boolean,
  sessions: Sessions,
  late: boolean,
): string {
  if (o === "absent") return d === "ready" ? "add" : "none";
  // removed at once: maintenance (sessions shut down) first, the delete after removeDelayMs
  if (d === "absent") return o === "maint" ? `delete:undesired:${sessions !== "idle"}` : "maint";
  if (d === "ready") return moved ? "replace" : o === "ready" ? "none" : "ready";
  if (o === "ready") return "drain";
  if (sessions === "idle") return o === "drain" ? "maint" : "delete:drained:false";
  if (!late) return "wait";
  // past the deadline: sessions shut down in maintenance first, the delete after removeDelayMs
  return o === "maint" ? "delete:drain-timeout:true" : "maint";
}

function describe(steps: readonly PlanStep[], waiting: number): string {
  if (steps.length === 0) return waiting ? "wait" : "none";
  assert.equal(steps.length, 1, JSON.stringify(steps));
  const s = steps[0]!;
  return s.kind === "delete" ? `delete:${s.reason}:${s.shutdownSessions}` : s.kind;
}

Deno.test("planReconcile() decides every desired × observed × sessions × deadline case", () => {
  let cases = 0;
  for (const d of ["absent", "ready", "drain"] as const) {
    for (const o of ["absent", "ready", "drain", "maint"] as const) {
      for (const moved of [false, true]) {
        for (const sessions of ["unknown", "idle", "busy"] as const) {
          for (const late of [false, true]) {
            const desired = d === "absent" ? [] : [want("shoal-a", { state: d })];
            const observed = o === "absent" ? [] : [seen("shoal-a", {
              admin: o,
              ...(moved ? { port: 9090 } : {}),
              ...(sessions === "unknown" ? {} : {
                sessions: { scur: sessions === "busy" ? 2 : 0, qcur: 0 },
              }),
            })];
            const plan = planReconcile(input(desired, observed, {
              drainStartedMs: new Map([[`${BE}/shoal-a`, late ? 0 : 900]]),
              maintStartedMs: new Map([[`${BE}/shoal-a`, 0]]),
              removeDelayMs: 1000,
            }));
            const label = JSON.stringify({ d, o, moved, sessions, late });
            assert.equal(
              describe(plan.steps, plan.waiting.length),
              expected(d, o, moved, sessions, late),
              label,
            );
            cases++;
          }
        }
      }
    }
  }
  assert.equal(cases, 144);
});

Deno.test("planReconcile() never touches unmanaged servers or unmanaged backends", () => {
  const plan = planReconcile({
    desired: new Map([[BE, []]]),
    observed: new Map([
      [BE, [seen("static1", { admin: "maint" }), seen("web-shoal-x"), seen("shoal-old")]],
      ["be_other", [seen("shoal-foreign")]],
    ]),
    prefix: "shoal-",
    nowMs: 0,
    drainTimeoutMs: 1,
    drainStartedMs: new Map(),
  });
  assert.deepEqual(plan.steps.map((s) => "name" in s ? s.name : s.server.name), ["shoal-old"]);
});

Deno.test("planReconcile() refuses a desired server outside the prefix", () => {
  assert.throws(() => planReconcile(input([want("static1")], [])), TypeError);
});

Deno.test("planReconcile() orders adds first, then health, ready, weight, drain, maint, delete", () => {
  const plan = planReconcile(input(
    [
      want("shoal-z-new"),
      want("shoal-a-new"),
      want("shoal-health", { check: {} }),
      want("shoal-back", { check: {} }),
      want("shoal-heavier", { weight: 50 }),
      want("shoal-leaving", { state: "drain" }),
      want("shoal-moved", { addr: "10.0.0.2" }),
    ],
    [
      seen("shoal-health", { checkConfigured: true }),
      seen("shoal-back", { admin: "maint", checkConfigured: true, checkEnabled: true }),
      seen("shoal-heavier"),
      seen("shoal-leaving"),
      seen("shoal-moved"),
      seen("shoal-dead"),
    ],
  ));
  assert.deepEqual(plan.steps.map((s) => `${s.kind}:${"name" in s ? s.name : s.server.name}`), [
    "add:shoal-a-new",
    "replace:shoal-moved",
    "add:shoal-z-new",
    "enableHealth:shoal-health",
    "ready:shoal-back",
    "setWeight:shoal-heavier",
    "drain:shoal-leaving",
    "maint:shoal-dead",
  ]);
  const ready = plan.steps.find((s) => s.kind === "ready");
  assert.deepEqual(ready, { kind: "ready", backend: BE, name: "shoal-back", healthDown: true });
});

Deno.test("planReconcile() compares addresses canonically and replaces on a check change", () => {
  const v6 = planReconcile(input([want("shoal-a", { addr: "[2001:DB8::1]" })], [
    seen("shoal-a", { addr: "2001:db8::1" }),
  ]));
  assert.deepEqual(v6.steps, []);
  const check = planReconcile(input([want("shoal-a", { check: { interMs: 100 } })], [
    seen("shoal-a"),
  ]));
  assert.deepEqual(check.steps.map((s) => s.kind === "replace" && s.reason), ["check"]);
});

Deno.test("planReconcile() leaves a drained-from-ready server's health alone when readied", () => {
  const plan = planReconcile(input([want("shoal-a", { check: {} })], [
    seen("shoal-a", { admin: "drain", checkConfigured: true, checkEnabled: true }),
  ]));
  assert.deepEqual(plan.steps, [{
    kind: "ready",
    backend: BE,
    name: "shoal-a",
    healthDown: false,
  }]);
});

Deno.test("planReconcile() ramps new servers' weights in steps (HSDO style)", () => {
  const ramp = { durationMs: 1000, stepMs: 250, weightMin: 1 };
  const fresh = planReconcile(input([want("shoal-a", { weight: 9 })], [], {
    ramp: { ...ramp, startedMs: new Map() },
  }));
  assert.equal(fresh.steps[0]?.kind === "add" && fresh.steps[0].server.weight, 1);
  assert.equal(fresh.ramping, 1);
  const mid = planReconcile(
    input([want("shoal-a", { weight: 9 })], [seen("shoal-a", { uweight: 1 })], {
      ramp: { ...ramp, startedMs: new Map([[`${BE}/shoal-a`, 500]]) },
    }),
  );
  assert.deepEqual(mid.steps, [{ kind: "setWeight", backend: BE, name: "shoal-a", weight: 5 }]);
  const done = planReconcile(
    input([want("shoal-a", { weight: 9 })], [seen("shoal-a", { uweight: 9 })], {
      ramp: { ...ramp, startedMs: new Map([[`${BE}/shoal-a`, 0]]) },
    }),
  );
  assert.deepEqual(done.steps, []);
  assert.equal(done.ramping, 0);
});

Deno.test("rampedWeight() rises monotonically from weightMin to the full weight", () => {
  const ramp = { durationMs: 30_000, stepMs: 3000, weightMin: 1 };
  let last = 0;
  for (let t = 0; t <= 31_000; t += 500) {
    const w = rampedWeight(10, t, ramp);
    assert.ok(w >= last && w >= 1 && w <= 10, `${t}: ${w}`);
    last = w;
  }
  assert.equal(rampedWeight(10, 0, ramp), 1);
  assert.equal(rampedWeight(10, 30_000, ramp), 10);
  assert.equal(rampedWeight(0, 0, ramp), 0);
});

Deno.test("planReconcile() converges: applying its plan to a model leaves nothing to do", () => {
  const desired = [
    want("shoal-a"),
    want("shoal-b", { weight: 3, check: {} }),
    want("shoal-c", { state: "drain" }),
    want("shoal-d", { addr: "::1" }),
  ];
  let observed: ObservedServer[] = [
    seen("shoal-b", { admin: "maint", uweight: 1, checkConfigured: true }),
    seen("shoal-c", { sessions: { scur: 0, qcur: 0 } }),
    seen("shoal-d"),
    seen("shoal-e"),
    seen("static"),
  ];
  const settled = { removeSettleMs: 0, removeDelayMs: 0 };
  for (let round = 0; round < 5; round++) {
    const plan = planReconcile(input(desired, observed, settled));
    if (plan.steps.length === 0) break;
    observed = applyToModel(observed, plan.steps);
  }
  assert.deepEqual(planReconcile(input(desired, observed, settled)).steps, []);
  assert.deepEqual(observed.map((s) => s.name).sort(), ["shoal-a", "shoal-b", "shoal-d", "static"]);
});

/** What each step does to HAProxy's state, as a plain model (no protocol). */
function applyToModel(observed: ObservedServer[], steps: readonly PlanStep[]): ObservedServer[] {
  const byName = new Map(observed.map((s) => [s.name, s]));
  for (const step of steps) {
    if (step.kind === "add" || step.kind === "replace") {
      const s = step.server;
      byName.set(
        s.name,
        seen(s.name, {
          addr: s.addr,
          port: s.port,
          uweight: s.weight,
          checkConfigured: s.check !== undefined,
          checkEnabled: s.check !== undefined,
        }),
      );
      continue;
    }
    const cur = byName.get(step.name)!;
    if (step.kind === "delete") byName.delete(step.name);
    if (step.kind === "drain") {
      byName.set(step.name, { ...cur, admin: "drain", sessions: { scur: 0, qcur: 0 } });
    }
    if (step.kind === "maint") byName.set(step.name, { ...cur, admin: "maint" });
    if (step.kind === "ready") byName.set(step.name, { ...cur, admin: "ready" });
    if (step.kind === "setWeight") byName.set(step.name, { ...cur, uweight: step.weight });
    if (step.kind === "enableHealth") byName.set(step.name, { ...cur, checkEnabled: true });
  }
  return [...byName.values()];
}

Deno.test("nextPassDelayMs() picks the shortest delay that applies", () => {
  const delays = { periodMs: 2000, retryMs: 250, drainPollMs: 100, rampStepMs: 50 };
  const idle = { steps: [], waiting: [], ramping: 0 };
  assert.equal(nextPassDelayMs(idle, false, delays), 2000);
  assert.equal(nextPassDelayMs(idle, true, delays), 250);
  const added = {
    ...idle,
    steps: [{ kind: "add", backend: BE, server: want("shoal-a") }] as const,
  };
  assert.equal(nextPassDelayMs(added, false, delays), 250);
  const draining = { ...idle, steps: [{ kind: "drain", backend: BE, name: "shoal-a" }] as const };
  assert.equal(nextPassDelayMs(draining, false, delays), 100);
  const settling = { ...idle, steps: [{ kind: "maint", backend: BE, name: "shoal-a" }] as const };
  assert.equal(nextPassDelayMs(settling, false, delays), 100);
  const waiting = { ...idle, waiting: [{ backend: BE, name: "shoal-a", deadlineMs: 9 }] };
  assert.equal(nextPassDelayMs(waiting, false, delays), 100);
  assert.equal(nextPassDelayMs({ ...idle, ramping: 1 }, false, delays), 50);
  const noRamp = { periodMs: 2000, retryMs: 250, drainPollMs: 100 };
  assert.equal(nextPassDelayMs({ ...idle, ramping: 1 }, false, noRamp), 2000);
});

Deno.test("planReconcile() removes an unwanted server in two steps: maint now, delete after removeDelayMs", () => {
  const key = `${BE}/shoal-gone`;
  const first = planReconcile(input([], [seen("shoal-gone", { sessions: { scur: 3, qcur: 0 } })]));
  assert.deepEqual(first.steps, [
    { kind: "maint", backend: BE, name: "shoal-gone", shutdownSessions: true },
  ]);
  const inMaint = seen("shoal-gone", { admin: "maint", sessions: { scur: 0, qcur: 0 } });
  const early = planReconcile(
    input([], [inMaint], { maintStartedMs: new Map([[key, 0]]), nowMs: REMOVE_DELAY_MS - 1 }),
  );
  assert.deepEqual(early.steps, []);
  assert.deepEqual(early.waiting, [{
    backend: BE,
    name: "shoal-gone",
    deadlineMs: REMOVE_DELAY_MS,
  }]);
  const due = planReconcile(
    input([], [inMaint], { maintStartedMs: new Map([[key, 0]]), nowMs: REMOVE_DELAY_MS }),
  );
  assert.deepEqual(due.steps, [
    {
      kind: "delete",
      backend: BE,
      name: "shoal-gone",
      shutdownSessions: false,
      reason: "undesired",
    },
  ]);
});
