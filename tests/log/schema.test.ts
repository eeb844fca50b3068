import { deepStrictEqual, equal } from "node:assert/strict";
import { normalizeFields, snakeKey } from "../../lib/log/schema.ts";
import { LogThrottle } from "../../lib/log/throttle.ts";

Deno.test("snakeKey() writes every key snake_case", () => {
  for (
    const [from, to] of [
      ["drainMs", "drain_ms"],
      ["startTimeSec", "start_time_sec"],
      ["stopBudgetMs", "stop_budget_ms"],
      ["timeout_seconds", "timeout_seconds"],
      ["lTime", "l_time"],
      ["sourceNode", "source_node"],
      ["addr", "addr"],
    ]
  ) equal(snakeKey(from!), to);
});

Deno.test("normalizeFields(): node stays this process's, the member an event is about is member", () => {
  const base = { node: "sidecar-1", role: "sidecar" };
  deepStrictEqual(normalizeFields(base, { node: "t1", servers: "x" }), {
    node: "sidecar-1",
    role: "sidecar",
    member: "t1",
    servers: "x",
  });
  deepStrictEqual(normalizeFields(base, { node: "sidecar-1" }), base);
  deepStrictEqual(normalizeFields(base, { node: "t1", member: "t2" }), {
    ...base,
    member: "t2",
    member_node: "t1",
  });
  deepStrictEqual(normalizeFields({}, { node: "library-user" }), { node: "library-user" });
});

Deno.test("normalizeFields(): durations are integers with their unit, no float noise", () => {
  deepStrictEqual(
    normalizeFields({}, { ms: 12.7, delayMs: 99.5, score: 0.1 + 0.2, timeoutMs: 5000 }),
    { duration_ms: 13, delay_ms: 100, score: 0.3, timeout_ms: 5000 },
  );
});

Deno.test("LogThrottle lets the first line through, then one per interval, counting the rest", () => {
  const t = new LogThrottle(60_000);
  deepStrictEqual(t.level(0, "warn"), { level: "warn", suppressed: 0 });
  deepStrictEqual(t.level(1_000, "warn"), { level: "debug", suppressed: 1 });
  deepStrictEqual(t.level(30_000, "warn"), { level: "debug", suppressed: 2 });
  deepStrictEqual(t.level(61_000, "warn"), { level: "warn", suppressed: 2 });
  deepStrictEqual(t.level(62_000, "warn"), { level: "debug", suppressed: 1 });
});
