/** The rejoin loop on a virtual clock: when it joins, how fast it retries, what it joins. */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { seededPrng } from "../../lib/clock.ts";
import { MemoryLogger } from "../../lib/log/logger.ts";
import { REJOIN_BACKOFF, Rejoiner } from "../../lib/roles/rejoin.ts";
import { VirtualClock } from "../_support/virtual_clock.ts";

/** Advances in steps, so each attempt's promise settles before the next timer is due. */
async function run(clock: VirtualClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 50) await clock.advance(50);
}

function setup(o: { answers: (attempt: number) => number }) {
  const clock = new VirtualClock();
  const log = new MemoryLogger();
  let alone = true;
  let resolved = 0;
  const joins: { atMs: number; addrs: readonly string[] }[] = [];
  const r = new Rejoiner({
    needed: () => (alone ? "no alive sidecar" : null),
    targets: () => Promise.resolve([`srv-${++resolved}:7946`]),
    join: (addrs) => {
      joins.push({ atMs: clock.nowMs(), addrs });
      const n = o.answers(joins.length);
      if (n > 0) alone = false;
      return Promise.resolve(n);
    },
    clock,
    prng: seededPrng(3),
    log,
    event: "task.rejoin",
  });
  return { clock, log, r, joins, setAlone: (v: boolean) => (alone = v) };
}

Deno.test("Rejoiner: retries within 1 s at first, backs off to at most 10 s, re-resolving targets", async () => {
  const t = setup({ answers: () => 0 });
  t.r.start();
  await run(t.clock, 120_000);
  t.r.stop();
  ok(t.joins.length >= 10, `${t.joins.length} attempts`);
  ok(t.joins[0]!.atMs <= 50, "the first look is at once");
  const gaps = t.joins.slice(1).map((j, i) => j.atMs - t.joins[i]!.atMs);
  ok(gaps[0]! < 1000, `first retry after ${gaps[0]} ms`);
  ok(gaps.every((g) => g <= REJOIN_BACKOFF.maxMs), `gaps ${gaps.join(",")}`);
  ok(gaps.at(-1)! >= REJOIN_BACKOFF.maxMs / 2, "it backs off");
  deepStrictEqual(t.joins[1]!.addrs, ["srv-2:7946"], "targets are asked for again each time");
  equal(t.log.named("task.rejoin")[0]?.fields.reason, "no alive sidecar");
});

Deno.test("Rejoiner: nothing to do while not needed; a loss is noticed by a poke at once", async () => {
  const t = setup({ answers: () => 1 });
  t.setAlone(false);
  t.r.start();
  await run(t.clock, 5_000);
  equal(t.joins.length, 0);
  t.setAlone(true);
  t.r.poke();
  await t.clock.advance(1);
  equal(t.joins.length, 1);
  await run(t.clock, 5_000);
  equal(t.joins.length, 1, "joined: no more attempts");
  t.r.stop();
});

Deno.test("Rejoiner: addresses poked in are joined at once, even mid-backoff", async () => {
  const t = setup({ answers: () => 0 });
  t.r.start();
  await run(t.clock, 20_000); // well into the backoff
  const before = t.joins.length;
  t.r.poke(); // a member event: keeps the backoff
  await t.clock.advance(1);
  equal(t.joins.length, before);
  t.r.poke(["10.0.0.9:7946"]); // a sidecar that does not know us
  await t.clock.advance(1);
  equal(t.joins.length, before + 1);
  ok(t.joins.at(-1)!.addrs.includes("10.0.0.9:7946"));
  t.r.stop();
});
