import assert from "node:assert/strict";
import { systemClock } from "../lib/clock.ts";

// Callers compare the time a timer fires against the deadline they armed it for (a depart answer
// is due at `respondByMs`, and skipped when the timer fires "early"): a timer must never fire
// before nowMs() has advanced by its delay, whatever setTimeout rounds fractional delays to.
Deno.test("systemClock timers never fire before nowMs() reaches their due time", async () => {
  const early: string[] = [];
  const fired: Promise<void>[] = [];
  for (let i = 0; i < 300; i++) {
    const delayMs = 2 + (i % 7) + ((i * 0.37) % 1); // fractional, like `respondByMs - nowMs`
    const startMs = systemClock.nowMs();
    fired.push(
      new Promise((resolve) =>
        systemClock.setTimer(delayMs, () => {
          const waitedMs = systemClock.nowMs() - startMs;
          if (waitedMs < delayMs) early.push(`${waitedMs.toFixed(3)} < ${delayMs.toFixed(3)}`);
          resolve();
        })
      ),
    );
    if (i % 10 === 0) await new Promise((r) => setTimeout(r, (i % 3) + 0.5));
  }
  await Promise.all(fired);
  assert.deepEqual(early, []);
});

Deno.test("systemClock.clearTimer cancels a pending timer; unknown ids are ignored", async () => {
  let calls = 0;
  const id = systemClock.setTimer(1.5, () => calls++);
  systemClock.clearTimer(id);
  systemClock.clearTimer(123_456_789);
  await new Promise<void>((resolve) => systemClock.setTimer(20, resolve));
  assert.equal(calls, 0);
});
