import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { NO_SIDECAR_UNHEALTHY_MS, Registration } from "../../lib/roles/task/registration.ts";

Deno.test("Registration: unhealthy until a sidecar accepted, with the reason", () => {
  const r = new Registration();
  const h = r.health(0);
  equal(h.ok, false);
  ok(h.reason.includes("no sidecar has accepted"));
  r.refused("sc-1");
  equal(r.health(0).ok, false);
  r.accepted("sc-1");
  deepStrictEqual([r.health(0).ok, r.count], [true, 1]);
});

Deno.test("Registration: unhealthy once no sidecar has been alive for the bound, healthy again after", () => {
  const r = new Registration();
  r.accepted("sc-1");
  r.accepted("sc-2");
  r.sidecarsAlive(["sc-2"], 1_000);
  equal(r.count, 1, "a sidecar that is gone no longer holds the registration");
  r.sidecarsAlive([], 2_000);
  equal(r.count, 0);
  equal(r.health(2_000 + NO_SIDECAR_UNHEALTHY_MS).ok, true, "at the bound: still healthy");
  const late = r.health(2_001 + NO_SIDECAR_UNHEALTHY_MS);
  equal(late.ok, false);
  ok(late.reason.includes("no sidecar alive for"), late.reason);
  r.sidecarsAlive(["sc-3"], 70_000);
  equal(r.health(70_000).ok, true, "a sidecar is back (the rejoin loop re-announces to it)");
});

Deno.test("Registration: a new announce resets the count, not the health", () => {
  const r = new Registration();
  r.accepted("sc-1");
  r.reset();
  deepStrictEqual([r.count, r.health(0).ok], [0, true]);
});
