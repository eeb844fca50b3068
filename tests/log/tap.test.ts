/** The log tap that feeds `serf monitor` (lib/log/tap.ts). */
import assert from "node:assert/strict";
import { MemoryLogger } from "../../lib/log/logger.ts";
import { LogTap, type TapRecord } from "../../lib/log/tap.ts";

Deno.test("LogTap.wrap() logs to the base logger and taps every level with the with() fields", () => {
  const base = new MemoryLogger();
  const tap = new LogTap({ nowMs: () => 42 });
  const log = tap.wrap(base).with({ node: "a" });
  log.debug("d.one", { x: 1 });
  log.error("e.two");
  assert.deepEqual(base.records.map((r) => [r.level, r.event, r.fields.node]), [
    ["debug", "d.one", "a"],
    ["error", "e.two", "a"],
  ]);
  const seen: TapRecord[] = [];
  tap.subscribe((r) => seen.push(r));
  assert.deepEqual(seen, [
    { timeMs: 42, level: "debug", event: "d.one", fields: { node: "a", x: 1 } },
    { timeMs: 42, level: "error", event: "e.two", fields: { node: "a" } },
  ]);
});

Deno.test("LogTap keeps the last `capacity` records and follows after the replay", () => {
  const tap = new LogTap({ capacity: 3, nowMs: () => 0 });
  const log = tap.wrap(new MemoryLogger());
  for (const e of ["a", "b", "c", "d"]) log.info(e);
  const seen: string[] = [];
  const off = tap.subscribe((r) => seen.push(r.event));
  log.warn("e");
  off();
  log.warn("f");
  assert.deepEqual(seen, ["b", "c", "d", "e"]);
});

Deno.test("LogTap does not re-deliver what a handler logs (no feedback loop)", () => {
  const tap = new LogTap({ nowMs: () => 0 });
  const log = tap.wrap(new MemoryLogger());
  const seen: string[] = [];
  tap.subscribe((r) => {
    seen.push(r.event);
    log.warn("handler.logged");
  });
  log.info("outer");
  assert.deepEqual(seen, ["outer"]);
  const late: string[] = [];
  tap.subscribe((r) => late.push(r.event));
  assert.deepEqual(late, ["outer", "handler.logged"], "kept in the ring all the same");
});
