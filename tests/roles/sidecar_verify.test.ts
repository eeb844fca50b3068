import { deepStrictEqual, equal } from "node:assert/strict";
import { nullLogger } from "../../lib/log/logger.ts";
import {
  MemberVerifier,
  VERIFY_PING_ATTEMPTS,
  VERIFY_PING_TIMEOUT_MS,
  VERIFY_PING_TOTAL_MS,
  VERIFY_WAITING_MAX,
  VERIFYING_MAX,
} from "../../lib/roles/sidecar/verify.ts";
import { VirtualClock } from "../_support/virtual_clock.ts";

/** Advances in 10 ms steps, so pings sent after an earlier one ended run too. */
async function run(clock: VirtualClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 10) await clock.advance(10);
}

const t1 = { name: "t1", host: "127.0.0.1", port: 7946 };

/** A ping that answers after `ms` of virtual time with `acked(name)`, recording each call. */
function pinger(clock: VirtualClock, acked: (name: string, call: number) => boolean) {
  const calls: { name: string; timeoutMs: number }[] = [];
  const ping = (name: string, timeoutMs: number) => {
    calls.push({ name, timeoutMs });
    const call = calls.length;
    return new Promise<boolean>((r) => {
      const ok = acked(name, call);
      clock.setTimer(ok ? 1 : timeoutMs, () => r(ok));
    });
  };
  return { calls, ping };
}

Deno.test("MemberVerifier: an acked ping verifies the name at its address; a new address is verified again", async () => {
  const clock = new VirtualClock();
  const p = pinger(clock, () => true);
  const v = new MemberVerifier({ ping: p.ping, clock, log: nullLogger });
  const done = v.verify(t1, 5000);
  await clock.advance(5);
  equal(await done, true);
  equal(v.isVerified(t1), true);
  equal(await v.verify(t1, 5000), true);
  equal(p.calls.length, 1, "a verified member is not pinged again");
  equal(v.isVerified({ ...t1, port: 7947 }), false, "another address is another claim");
  v.forget("t1");
  equal(v.isVerified(t1), false);
});

Deno.test("MemberVerifier: retries a lost ping, gives up within the deadline, shares a running check", async () => {
  const clock = new VirtualClock();
  const p = pinger(clock, (_, call) => call === 2);
  const v = new MemberVerifier({ ping: p.ping, clock, log: nullLogger });
  const a = v.verify(t1, 5000);
  const b = v.verify(t1, 5000);
  await run(clock, VERIFY_PING_TIMEOUT_MS + 20);
  deepStrictEqual([await a, await b], [true, true]);
  equal(p.calls.length, 2, "one check for both, the second ping acked");

  const never = pinger(clock, () => false);
  const w = new MemberVerifier({ ping: never.ping, clock, log: nullLogger });
  const c = w.verify(t1, clock.nowMs() + 1500);
  await run(clock, 2000);
  equal(await c, false);
  // 400 + 800 + the 300 left before the deadline: every ping ends by it
  deepStrictEqual(never.calls.map((x) => x.timeoutMs), [400, 800, 300]);
  equal(never.calls.length <= VERIFY_PING_ATTEMPTS, true);
  equal(w.isVerified(t1), false);
});

Deno.test("MemberVerifier: at most VERIFYING_MAX checks run at once; more wait their turn, oldest first", async () => {
  const clock = new VirtualClock();
  const p = pinger(clock, () => true);
  const v = new MemberVerifier({ ping: p.ping, clock, log: nullLogger });
  const n = VERIFYING_MAX + 50;
  const checks = [];
  for (let i = 0; i < n; i++) {
    checks.push(v.verify({ name: `n${i}`, host: "127.0.0.1", port: 1000 + i }, 5000));
  }
  equal(p.calls.length, VERIFYING_MAX, "the rest wait");
  equal(v.pending, n);
  await run(clock, 20);
  deepStrictEqual((await Promise.all(checks)).filter((x) => !x).length, 0, "every one verified");
  deepStrictEqual(p.calls.map((c) => c.name), checks.map((_, i) => `n${i}`), "in arrival order");
  equal(v.refusedBusy, 0);
  equal(v.pending, 0);
});

Deno.test("MemberVerifier: beyond VERIFYING_MAX + VERIFY_WAITING_MAX checks are refused at once", async () => {
  const clock = new VirtualClock();
  const p = pinger(clock, () => false);
  const v = new MemberVerifier({ ping: p.ping, clock, log: nullLogger });
  const checks = [];
  for (let i = 0; i <= VERIFYING_MAX + VERIFY_WAITING_MAX; i++) {
    checks.push(v.verify({ name: `n${i}`, host: "127.0.0.1", port: 1000 + i }, 5000));
  }
  equal(await checks.at(-1), false);
  equal(v.refusedBusy, 1);
  equal(p.calls.length, VERIFYING_MAX);
  await run(clock, 6000);
  // the waiting ones whose deadline passed while they waited end without a ping
  equal((await Promise.all(checks)).filter((x) => x).length, 0);
  equal(v.pending, 0);
});

Deno.test("MemberVerifier: a member alive but slow to answer (acks after 1.2 s) is verified", async () => {
  // bench:scale 1000: members whose event loops ran up to 0.9 s late acked after every one of three
  // 400 ms pings had given up, and their announces were refused as not answering
  const clock = new VirtualClock();
  const calls: number[] = [];
  const ping = (_name: string, timeoutMs: number) => {
    calls.push(timeoutMs);
    return new Promise<boolean>((r) =>
      clock.setTimer(Math.min(timeoutMs, 1200), () => r(timeoutMs >= 1200))
    );
  };
  const v = new MemberVerifier({ ping, clock, log: nullLogger });
  const check = v.verify(t1, clock.nowMs() + VERIFY_PING_TOTAL_MS);
  await run(clock, VERIFY_PING_TOTAL_MS + 20);
  equal(await check, true);
  deepStrictEqual(calls, [400, 800, 1600]);
  equal(VERIFY_PING_TOTAL_MS, 2800);
});
