/**
 * User events on their own context (issue 14): `userEventOut` / `userEventIn` need only the
 * event clock, ring, counters, log, a queue and a delivery path, not a serf instance.
 */

import assert from "node:assert/strict";
import { MemoryLogger } from "../../lib/log/logger.ts";
import { newCounters } from "../../lib/serf/counters.ts";
import type { UserEvent } from "../../lib/serf/events.ts";
import { LamportClock } from "../../lib/serf/lamport.ts";
import { SerfMessageType } from "../../lib/serf/messages.ts";
import { UserEventRing } from "../../lib/serf/rings.ts";
import { type UserEventContext, userEventIn, userEventOut } from "../../lib/serf/user_events.ts";

function context(sizeLimitBytes = 512) {
  const delivered: UserEvent[] = [];
  const queued: Uint8Array[] = [];
  const ctx: UserEventContext = {
    sizeLimitBytes,
    counters: newCounters(),
    log: new MemoryLogger(),
    clock: new LamportClock(),
    ring: new UserEventRing(512, 64),
    deliver: (e) => delivered.push(e),
    queue: (raw) => queued.push(raw),
  };
  return { ctx, delivered, queued };
}

Deno.test("userEventOut() on a bare context stamps, delivers once and queues the encoded event", () => {
  const { ctx, delivered, queued } = context();
  userEventOut(ctx, "deploy", Uint8Array.of(1, 2), true);
  assert.equal(ctx.clock.time(), 1);
  assert.deepEqual(delivered, [
    { type: "user", lTime: 0, name: "deploy", payload: Uint8Array.of(1, 2), coalesce: true },
  ]);
  assert.equal(queued.length, 1);
  assert.equal(queued[0]![0], SerfMessageType.UserEvent);
  assert.equal(ctx.counters.userEventsDelivered, 1);
});

Deno.test("userEventIn() on a bare context counts duplicates, oversize and forged times", () => {
  const { ctx, delivered } = context(16);
  const m = {
    type: SerfMessageType.UserEvent,
    lTime: 5,
    name: "e",
    payload: Uint8Array.of(7),
    cc: false,
  } as const;
  assert.equal(userEventIn(ctx, m), true);
  assert.equal(userEventIn(ctx, m), false);
  assert.equal(ctx.counters.userEventsDuplicate, 1);
  assert.equal(userEventIn(ctx, { ...m, lTime: 6, payload: new Uint8Array(16) }), false);
  assert.equal(ctx.counters.oversizeRefused, 1);
  assert.equal(userEventIn(ctx, { ...m, lTime: 2 ** 53 - 2 }), false);
  assert.equal(ctx.counters.lTimesRefused, 1);
  assert.equal(delivered.length, 1);
  assert.equal(ctx.clock.time(), 6);
});
