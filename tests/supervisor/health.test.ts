import { deepStrictEqual as assertEq, throws } from "node:assert/strict";
import { HealthTracker } from "../../lib/supervisor/health.ts";

Deno.test("HealthTracker.observe() turns unhealthy only after `fall` consecutive failures", () => {
  const t = new HealthTracker({ rise: 2, fall: 3 });
  assertEq([t.observe(false), t.observe(false), t.observe(true)], [
    undefined,
    undefined,
    undefined,
  ]);
  assertEq([t.observe(false), t.observe(false), t.observe(false)], [
    undefined,
    undefined,
    "unhealthy",
  ]);
  assertEq(t.healthy, false);
});

Deno.test("HealthTracker.observe() turns healthy again after `rise` consecutive successes", () => {
  const t = new HealthTracker({ rise: 2, fall: 1, initiallyHealthy: false });
  assertEq([t.observe(true), t.observe(false), t.observe(true), t.observe(true)], [
    undefined,
    undefined,
    undefined,
    "healthy",
  ]);
  assertEq(t.observe(true), undefined);
});

Deno.test("HealthTracker refuses thresholds below 1", () => {
  throws(() => new HealthTracker({ rise: 0 }), RangeError);
});
