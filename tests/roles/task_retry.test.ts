import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { seededPrng } from "../../lib/clock.ts";
import { MemoryLogger } from "../../lib/log/logger.ts";
import { Announcer, type AnnounceRound, CONFIRM_DELAY_MS } from "../../lib/roles/task/announcer.ts";
import { Backoff, TASK_BACKOFF } from "../../lib/roles/backoff.ts";
import { joinWithRetry } from "../../lib/roles/task/joiner.ts";
import {
  resolveJoinTargets,
  SRV_TARGETS_MAX,
  srvJoinTargets,
} from "../../lib/roles/task/join_targets.ts";
import { VirtualClock } from "../_support/virtual_clock.ts";

/** Lets pending promise continuations run (no timers involved). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

Deno.test("Backoff.next() doubles from 250 ms to a 5 s cap, jittered into the upper half", () => {
  const steps = [250, 500, 1000, 2000, 4000, 5000, 5000];
  for (const seed of [1, 2, 3]) {
    const b = new Backoff(seededPrng(seed), TASK_BACKOFF);
    for (const step of steps) {
      const d = b.next();
      ok(d >= step / 2 && d < step, `seed ${seed}: ${d} not in [${step / 2}, ${step})`);
    }
    strictEqual(b.attempts, steps.length);
    b.reset();
    ok(b.next() < 250, "reset goes back to the first step");
  }
});

Deno.test("Backoff.next() is reproducible from the prng and differs between seeds", () => {
  const run = (seed: number) => {
    const b = new Backoff(seededPrng(seed), TASK_BACKOFF);
    return [b.next(), b.next(), b.next()];
  };
  deepStrictEqual(run(7), run(7));
  ok(JSON.stringify(run(7)) !== JSON.stringify(run(8)));
});

Deno.test("Backoff refuses a first step of 0 or a cap below it", () => {
  throws(() => new Backoff(seededPrng(1), { baseMs: 0, maxMs: 100 }), RangeError);
  throws(() => new Backoff(seededPrng(1), { baseMs: 200, maxMs: 100 }), RangeError);
});

Deno.test("srvJoinTargets() orders by priority then weight, drops bad records and trailing dots", () => {
  deepStrictEqual(
    srvJoinTargets([
      { priority: 20, weight: 1, port: 7946, target: "c.example." },
      { priority: 10, weight: 1, port: 7946, target: "b.example." },
      { priority: 10, weight: 9, port: 7000, target: "a.example." },
      { priority: 0, weight: 0, port: 0, target: "zero-port.example." },
      { priority: 0, weight: 0, port: 7946, target: "." },
      { priority: 30, weight: 0, port: 7946, target: "b.example." },
      { priority: 40, weight: 0, port: 7946, target: "fd00::1" },
    ]),
    ["a.example:7000", "b.example:7946", "c.example:7946", "[fd00::1]:7946"],
  );
});

Deno.test("srvJoinTargets() keeps at most SRV_TARGETS_MAX targets", () => {
  const many = Array.from({ length: 100 }, (_, i) => ({
    priority: 0,
    weight: 0,
    port: 7946,
    target: `s${i}.example.`,
  }));
  strictEqual(srvJoinTargets(many).length, SRV_TARGETS_MAX);
});

Deno.test("resolveJoinTargets() joins --join then the SRV targets, looked up each time", async () => {
  const log = new MemoryLogger();
  const asked: string[] = [];
  let answer = [{ priority: 0, weight: 0, port: 7950, target: "sidecar.local." }];
  const resolveSrv = (name: string) => (asked.push(name), Promise.resolve(answer));
  const o = { join: ["127.0.0.2:7946"], joinSrv: "_serf._udp.shoal", resolveSrv, log };
  deepStrictEqual(await resolveJoinTargets(o), ["127.0.0.2:7946", "sidecar.local:7950"]);
  answer = [{ priority: 0, weight: 0, port: 7951, target: "sidecar2.local." }];
  deepStrictEqual(await resolveJoinTargets(o), ["127.0.0.2:7946", "sidecar2.local:7951"]);
  deepStrictEqual(asked, ["_serf._udp.shoal", "_serf._udp.shoal"]);
});

Deno.test("resolveJoinTargets() logs a failed SRV lookup and keeps the static targets", async () => {
  const log = new MemoryLogger();
  const targets = await resolveJoinTargets({
    join: [],
    joinSrv: "_missing._udp",
    resolveSrv: () => Promise.reject(new Error("no such name")),
    log,
  });
  deepStrictEqual(targets, []);
  strictEqual(log.named("task.join_srv.failed")[0]?.fields.error, "no such name");
});

Deno.test("joinWithRetry() retries with backoff until a member answers, logging each attempt", async () => {
  const clock = new VirtualClock();
  const log = new MemoryLogger();
  const answers = [0, 0, 0, 2];
  const tried: string[][] = [];
  const joined = joinWithRetry({
    targets: () => Promise.resolve(["127.0.0.9:7946"]),
    join: (addrs) => (tried.push([...addrs]), Promise.resolve(answers.shift() ?? 0)),
    clock,
    prng: seededPrng(1),
    log,
    signal: new AbortController().signal,
  });
  await settle();
  strictEqual(tried.length, 1);
  for (let i = 0; i < 3; i++) {
    const retry = log.named("task.join.retry")[i];
    ok(retry, `retry ${i + 1} logged`);
    await clock.advance(retry.fields.delay_ms as number);
    await settle();
  }
  strictEqual(await joined, 2);
  strictEqual(tried.length, 4);
  strictEqual(log.named("task.join.attempt").length, 4);
  strictEqual(log.named("task.joined")[0]?.fields.attempt, 4);
  const delays = log.named("task.join.retry").map((r) => r.fields.delay_ms as number);
  ok(delays[0]! < 250 && delays[1]! >= 250 && delays[2]! >= 500, `growing: ${delays}`);
});

Deno.test("joinWithRetry() stops retrying when aborted and resolves to 0", async () => {
  const clock = new VirtualClock();
  const log = new MemoryLogger();
  const ac = new AbortController();
  let joins = 0;
  const joined = joinWithRetry({
    targets: () => Promise.resolve([]), // e.g. the SRV name does not resolve yet
    join: () => (joins++, Promise.resolve(1)),
    clock,
    prng: seededPrng(1),
    log,
    signal: ac.signal,
  });
  await settle();
  strictEqual(log.named("task.join.retry").length, 1);
  ac.abort();
  strictEqual(await joined, 0);
  await clock.advance(60_000);
  strictEqual(joins, 0, "no target means no join call");
  strictEqual(log.named("task.join.attempt").length, 1, "no attempt after the abort");
});

function announcer(rounds: AnnounceRound[], clock: VirtualClock, log = new MemoryLogger()) {
  const seen: number[] = [];
  const a = new Announcer({
    announce: () => {
      seen.push(clock.nowMs());
      return Promise.resolve(rounds.shift() ?? { answered: 1, accepted: 1 });
    },
    clock,
    prng: seededPrng(3),
    log,
  });
  return { a, seen, log };
}

Deno.test("Announcer retries with backoff while no sidecar answered, and stops once one accepts", async () => {
  const clock = new VirtualClock();
  const { a, seen, log } = announcer([{ answered: 0, accepted: 0 }, {
    answered: 0,
    accepted: 0,
  }], clock);
  a.kick();
  await settle();
  strictEqual(seen.length, 1);
  await clock.advance(5_000);
  await settle();
  await clock.advance(5_000);
  await settle();
  await a.idle();
  strictEqual(seen.length, 3, "two retries, then accepted");
  strictEqual(log.named("task.announce.retry").length, 2);
  await clock.advance(60_000);
  strictEqual(seen.length, 3, "no more rounds after an acceptance");
});

Deno.test("Announcer.kick() during a backoff announces at once; during a round, once more after it", async () => {
  const clock = new VirtualClock();
  let release!: (r: AnnounceRound) => void;
  let calls = 0;
  const a = new Announcer({
    announce: () => {
      calls++;
      return calls === 1
        ? Promise.resolve({ answered: 0, accepted: 0 })
        : calls === 2
        ? new Promise<AnnounceRound>((r) => (release = r))
        : Promise.resolve({ answered: 1, accepted: 1 });
    },
    clock,
    prng: seededPrng(3),
    log: new MemoryLogger(),
  });
  a.kick();
  await settle();
  strictEqual(calls, 1);
  a.kick(); // e.g. a sidecar joined while waiting: no need to wait for the backoff
  await settle();
  strictEqual(calls, 2);
  a.kick(); // the state changed while round 2 is in flight
  a.kick(); // coalesced
  release({ answered: 1, accepted: 1 });
  await a.idle();
  strictEqual(calls, 3);
  strictEqual(clock.nowMs(), 0, "no time passed: no backoff was waited");
});

Deno.test("Announcer.stop() ends the retries", async () => {
  const clock = new VirtualClock();
  const { a, seen } = announcer(Array(10).fill({ answered: 0, accepted: 0 }), clock);
  a.kick();
  await settle();
  a.stop();
  await a.idle();
  await clock.advance(60_000);
  strictEqual(seen.length, 1);
  a.kick();
  await settle();
  strictEqual(seen.length, 1, "kicks after stop are ignored");
});

Deno.test("Announcer repeats once, 1 s later, after an accept that named no server (the Go shoal)", async () => {
  const clock = new VirtualClock();
  const unconfirmed = { answered: 2, accepted: 2, unconfirmed: 1 };
  const { a, seen, log } = announcer([unconfirmed, unconfirmed, unconfirmed], clock);
  a.kick();
  await settle();
  strictEqual(seen.length, 1);
  await clock.advance(CONFIRM_DELAY_MS - 1);
  await settle();
  strictEqual(seen.length, 1, "not before the delay");
  await clock.advance(1);
  await settle();
  await a.idle();
  deepStrictEqual(seen, [0, CONFIRM_DELAY_MS], "one repeat, however it is answered");
  strictEqual(log.named("task.announce.repeat").length, 1);
  await clock.advance(60_000);
  strictEqual(seen.length, 2, "no more rounds");
  a.kick();
  await settle();
  await clock.advance(CONFIRM_DELAY_MS);
  await settle();
  await a.idle();
  strictEqual(seen.length, 4, "a kick earns a fresh repeat");
});
