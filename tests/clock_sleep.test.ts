import assert from "node:assert/strict";
import { deadline, sleep, Sleeper, timeoutSignal } from "../lib/clock.ts";
import { VirtualClock } from "./_support/virtual_clock.ts";

/** Records when `p` settles, and with what. */
function track<T>(p: Promise<T>): { value?: T; error?: unknown; done: boolean } {
  const t: { value?: T; error?: unknown; done: boolean } = { done: false };
  p.then((value) => Object.assign(t, { value, done: true }), (error) => {
    Object.assign(t, { error, done: true });
  });
  return t;
}

Deno.test("sleep() resolves true once the virtual time has passed, not before", async () => {
  const clock = new VirtualClock();
  const t = track(sleep(clock, 100));
  await clock.advance(99);
  assert.equal(t.done, false);
  await clock.advance(1);
  assert.deepEqual(t, { value: true, done: true });
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("sleep() resolves false at once when its signal aborts, and releases the timer", async () => {
  const clock = new VirtualClock();
  const ac = new AbortController();
  const t = track(sleep(clock, 60_000, { signal: ac.signal }));
  await clock.advance(10);
  ac.abort();
  await Promise.resolve();
  assert.deepEqual(t, { value: false, done: true }, "no time passed");
  assert.equal(clock.pendingTimers, 0);
  assert.equal(await sleep(clock, 60_000, { signal: ac.signal }), false, "already aborted");
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("deadline() gives the value in time, undefined after the time or on abort", async () => {
  const clock = new VirtualClock();
  assert.equal(await deadline(clock, 100, Promise.resolve(7)), 7);
  assert.equal(clock.pendingTimers, 0, "its timer is released");

  const late = track(deadline(clock, 100, new Promise<number>(() => {})));
  await clock.advance(99);
  assert.equal(late.done, false);
  await clock.advance(1);
  assert.deepEqual(late, { value: undefined, done: true });

  const ac = new AbortController();
  const stopped = track(deadline(clock, 100, new Promise(() => {}), { signal: ac.signal }));
  ac.abort();
  await clock.advance(0);
  assert.deepEqual(stopped, { value: undefined, done: true });
  assert.equal(clock.pendingTimers, 0);

  await assert.rejects(deadline(clock, 100, Promise.reject(new Error("boom"))), /boom/);
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("Sleeper.wake() ends only the pause in progress", async () => {
  const clock = new VirtualClock();
  const s = new Sleeper(clock);
  s.wake(); // nothing to wake: the next pause is a full one
  const first = track(s.sleep(1000));
  s.wake();
  await clock.advance(0);
  assert.deepEqual(first, { value: false, done: true });
  const second = track(s.sleep(1000));
  await clock.advance(1000);
  assert.deepEqual(second, { value: true, done: true });
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("timeoutSignal() aborts after its time or with its parent; dispose releases it", async () => {
  const clock = new VirtualClock();
  const t = timeoutSignal(clock, 50);
  await clock.advance(49);
  assert.equal(t.signal.aborted, false);
  await clock.advance(1);
  assert.equal(t.signal.aborted, true);
  t.dispose();

  const parent = new AbortController();
  const child = timeoutSignal(clock, 50, parent.signal);
  parent.abort();
  assert.equal(child.signal.aborted, true);
  child.dispose();
  assert.equal(clock.pendingTimers, 0);
});
