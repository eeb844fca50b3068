import assert from "node:assert/strict";
import { ReconcileMemory } from "../../lib/haproxy/memory.ts";
import { HaproxyError, serverOptionsKey } from "../../lib/haproxy/mod.ts";
import { BE, seen, want } from "./_plan_fixtures.ts";

const KEY = `${BE}/shoal-a`;

Deno.test("ReconcileMemory records applied options on add and forgets them on delete", () => {
  const memory = new ReconcileMemory();
  const server = want("shoal-a", { check: { interMs: 500 } });
  memory.noteOutcomes([{ step: { kind: "add", backend: BE, server } }], 10, false);
  assert.equal(memory.appliedOptions.get(KEY), serverOptionsKey(server));
  const failed = {
    kind: "replace",
    backend: BE,
    server: want("shoal-a"),
    reason: "options",
  } as const;
  memory.noteOutcomes([{ step: failed, error: new HaproxyError("x") }], 20, false);
  assert.equal(
    memory.appliedOptions.get(KEY),
    serverOptionsKey(server),
    "failed steps change nothing",
  );
  memory.noteOutcomes(
    [{
      step: {
        kind: "delete",
        backend: BE,
        name: "shoal-a",
        shutdownSessions: false,
        reason: "drained",
      },
    }],
    30,
    false,
  );
  assert.equal(memory.appliedOptions.has(KEY), false);
});

Deno.test("ReconcileMemory starts the maintenance clock once and forgets servers that are gone", () => {
  const memory = new ReconcileMemory();
  const observed = (admin: "ready" | "drain" | "maint") =>
    new Map([[BE, [seen("shoal-a", { admin })]]]);
  memory.noteObserved(observed("maint"), 100);
  memory.noteObserved(observed("maint"), 200);
  assert.equal(memory.maintStartedMs.get(KEY), 100, "found in maintenance: clock starts once");
  memory.noteOutcomes([{ step: { kind: "maint", backend: BE, name: "shoal-a" } }], 300, false);
  assert.equal(memory.maintStartedMs.get(KEY), 300, "put in maintenance by us: clock restarts");
  memory.noteObserved(observed("ready"), 400);
  assert.equal(memory.maintStartedMs.has(KEY), false, "ready again");
  memory.noteOutcomes([{ step: { kind: "add", backend: BE, server: want("shoal-a") } }], 500, true);
  assert.ok(memory.rampStartedMs.has(KEY) && memory.appliedOptions.has(KEY));
  memory.noteObserved(new Map([[BE, []]]), 600);
  assert.equal(
    memory.rampStartedMs.size + memory.appliedOptions.size,
    0,
    "deleted by someone else",
  );
});

Deno.test("ReconcileMemory forgets everything when the HAProxy process changes", () => {
  const memory = new ReconcileMemory();
  assert.equal(memory.noteProcess(1, 1000), false);
  memory.noteOutcomes([{ step: { kind: "add", backend: BE, server: want("shoal-a") } }], 1, true);
  memory.noteObserved(new Map([[BE, [seen("shoal-a", { admin: "maint" })]]]), 2);
  assert.equal(memory.noteProcess(1, 1000), false);
  assert.equal(memory.noteProcess(2, 1001), true);
  const sizes = [
    memory.appliedOptions,
    memory.rampStartedMs,
    memory.maintStartedMs,
    memory.drainStartedMs,
  ]
    .map((m) => m.size);
  assert.deepEqual(sizes, [0, 0, 0, 0]);
});
